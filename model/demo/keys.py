"""Throwaway OpenPGP keys for `make demo` and the tests: real gpg, never the release key."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from model.proc import run

_FPR = re.compile(r"^fpr:(?:[^:]*:){8}([0-9A-F]{40}):", re.MULTILINE)


def gnupg_home() -> Path:
    """A fresh, private GNUPGHOME under /tmp.

    Short on purpose: gpg-agent's socket lives inside it, and a Unix socket path may not
    exceed 107 bytes (pytest's tmp_path often does).
    """
    return Path(tempfile.mkdtemp(prefix="gpg-"))


def _gpg(home: Path, *args: str, stdin: str | None = None) -> str:
    return run(["gpg", "--homedir", str(home), "--batch", *args], input=stdin).stdout


def throwaway_key(home: Path, uid: str) -> str:
    """Generate an ed25519 signing key without passphrase in `home`; return its fingerprint."""
    _gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
    found = _FPR.findall(_gpg(home, "--with-colons", "--list-secret-keys", f"={uid}"))
    if len(found) != 1:
        raise RuntimeError(f"expected one key for {uid!r} in {home}, found {len(found)}")
    return found[0]


def public_key(home: Path, fingerprint: str) -> str:
    """The ASCII-armored public key, as committed to .gitops/promoters/<env>.asc."""
    return _gpg(home, "--armor", "--export", fingerprint)


def secret_key(home: Path, fingerprint: str) -> str:
    """The ASCII-armored secret key, as a CI secret would hold it."""
    return _gpg(home, "--armor", "--export-secret-keys", fingerprint)


def revoked(home: Path, fingerprint: str) -> str:
    """The public key with gpg's stored revocation certificate merged in (key compromise)."""
    cert = (home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
    # gpg guards the stored certificate with a leading ':' against accidental import.
    _gpg(home, "--import", stdin=cert.replace(":-----BEGIN", "-----BEGIN"))
    return public_key(home, fingerprint)


def discard(home: Path) -> None:
    """Stop the gpg-agent that signing started in `home`, then delete it."""
    if shutil.which("gpgconf"):
        run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
    shutil.rmtree(home, ignore_errors=True)
