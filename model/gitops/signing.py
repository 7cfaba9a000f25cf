"""Signed promotions: the keys allowed to promote each environment, and git's own check.

The public keys live in the repository, one file per environment
(`.gitops/promoters/<env>.asc`), so prod can require a different key from staging. Signing
uses git's own configuration (`user.signingkey`, `gpg.program`); verification runs git's
own `%G?` against a throwaway GNUPGHOME that holds only the committed keys, so a key in
someone's personal keyring never counts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from model import config
from model.config import UsageError
from model.gitops.audit import ledger
from model.proc import git
from model.proc import run as run_process

PROMOTERS_DIR = ".gitops/promoters"
MAX_KEYFILE_BYTES = 1 << 20  # a few public keys are a few KiB; anything bigger is a mistake
_ENV = re.compile(r"[a-z][a-z0-9-]{0,30}")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
KEY_ID = re.compile(r"[0-9A-F]{16,40}")
PRIVATE_BLOCK = b"PRIVATE KEY BLOCK"
_FIELD, _RECORD = "\x1f", "\x1e"
# git's %G? letters other than G, in words a reviewer can act on.
_PROBLEMS = {
    "N": "unsigned",
    "B": "a bad signature (the commit changed after it was signed)",
    "E": "signed by key {key}, which is not in {path}",
    "U": "signed by key {key} of unknown validity",
    "X": "signed by key {key} with an expired signature",
    "Y": "signed by key {key}, which has expired",
    "R": "signed by key {key}, which is revoked",
}
# Argo CD's AppProjects (signatureKeys) also accept the forge's merge-signing key: GitHub's
# web-flow key signs merges made with the PR button, which is how prod promotions land.
FORGE_MERGE_KEY_IDS = ("B5690EEEBB952194",)
HOW_TO_SIGN = (
    "point git at an allowed key: `git config user.signingkey FINGERPRINT` "
    "(CI: `make git-signing-key` with the secret in PROMOTION_GPG_KEY)"
)


class SigningError(UsageError):
    """A promotion's signature, a promoters key file or the signing setup is not acceptable."""


@dataclass(frozen=True)
class Signature:
    """What git says about one commit's signature (its %G? letter and key ids)."""

    commit: str
    status: str
    key_id: str  # %GK: from the signature itself, known even when the key is not
    primary: str  # %GP: fingerprint of the primary key, "" unless the key is in the ring


@dataclass(frozen=True)
class Verdict:
    """One finding for `audit verify`: good is None when nothing was checked."""

    good: bool | None
    commit: str
    detail: str


def keyfile(env: str) -> str:
    """Repo-relative path of the keys allowed to promote `env` (env is checked: it is a path)."""
    if not _ENV.fullmatch(env):
        raise SigningError(
            f"expected an environment name of lowercase letters, digits and '-', found {env!r}"
        )
    return f"{PROMOTERS_DIR}/{env}.asc"


def run(
    root: Path, args: list[str], stdin: bytes | None = None, home: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Bytes in, bytes out: key files and signatures are hostile until parsed."""
    extra = {config.GNUPGHOME: str(home)} if home else {}
    env = {**os.environ, **extra}
    return run_process(args, root, input=stdin, env=env, check=False, text=False)


def allowed_keys(root: Path, env: str, rev: str = "HEAD") -> bytes | None:
    """The committed public keys for `env` at `rev`; None when the file does not exist."""
    path = keyfile(env)
    proc = run(root, ["git", "cat-file", "blob", f"{rev}:{path}"])
    if proc.returncode != 0:
        return None
    data = proc.stdout
    if len(data) > MAX_KEYFILE_BYTES:
        raise SigningError(f"{path} is {len(data)} bytes; expected public keys under 1 MiB")
    if PRIVATE_BLOCK in data:
        raise SigningError(
            f"{path} holds a PRIVATE KEY block: the secret half was committed. Revoke that key, "
            "commit only `gpg --armor --export FINGERPRINT`, and rotate the CI secret"
        )
    return data


def fingerprints(armored: bytes, what: str = "the key file") -> list[str]:
    """Primary-key fingerprints in an armored key block, read without importing it."""
    with tempfile.TemporaryDirectory(prefix="gpg-") as home:
        proc = run(
            Path(home),
            ["gpg", "--batch", "--no-autostart", "--with-colons",
             "--import-options", "show-only", "--import"],
            stdin=armored, home=Path(home),
        )  # fmt: skip
    found, last = [], ""
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] == "fpr" and last in ("pub", "sec") and len(fields) > 9:
            found.append(fields[9])
        if fields[0] != "fpr":
            last = fields[0]
    if not found:
        raise SigningError(
            f"no public key in {what}; expected the output of `gpg --armor --export FINGERPRINT`"
        )
    return found


@contextmanager
def keyring(armored: bytes) -> Iterator[Path]:
    """A temporary GNUPGHOME trusting exactly the keys in `armored`, removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="gpg-"))
    try:
        # Trust is the key file itself (it is reviewed in Git), and no agent is ever started.
        (home / "gpg.conf").write_text("trust-model always\nno-autostart\n")
        proc = run(home, ["gpg", "--batch", "--import"], stdin=armored, home=home)
        if proc.returncode != 0:
            raise SigningError(f"gpg could not import the promoters keys: {last_line(proc.stderr)}")
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "(no message)"


def signatures(root: Path, commits: list[str], armored: bytes) -> list[Signature]:
    """git's verdict on each commit's signature against only the keys in `armored`."""
    bad = [c for c in commits if not _COMMIT.fullmatch(c)]
    if bad:
        raise SigningError(f"expected full commit ids, found {bad[0]!r}")
    fmt = f"--format=%H{_FIELD}%G?{_FIELD}%GK{_FIELD}%GP{_RECORD}"
    with keyring(armored) as home:
        proc = run(
            root, ["git", "log", "--no-walk=unsorted", "--stdin", fmt],
            stdin="".join(f"{c}\n" for c in commits).encode(), home=home,
        )  # fmt: skip
    if proc.returncode != 0:
        raise SigningError(f"git could not read the signatures: {last_line(proc.stderr)}")
    found = []
    for record in proc.stdout.decode("utf-8", "replace").split(_RECORD):
        parts = record.strip("\n").split(_FIELD)  # not strip(): \x1f counts as whitespace
        if len(parts) == 4:
            found.append(Signature(*parts))
    return found


def problem(sig: Signature, allowed: list[str], path: str) -> str | None:
    """Why `sig` does not prove an allowed promoter made the commit; None when it does."""
    if sig.status == "G" and sig.primary in allowed:
        return None
    template = _PROBLEMS.get(sig.status, "signature status {status!r} from git")
    key = sig.key_id if KEY_ID.fullmatch(sig.key_id) else "(no key id)"
    return template.format(key=key, path=path, status=sig.status)


def removed_in(root: Path, env: str) -> str | None:
    """The commit that deleted `env`'s key file, when it once existed and is gone now."""
    out = git(root, "log", "-1", "--format=%H", "--diff-filter=D", "--", keyfile(env), check=False)
    return out.strip() or None


def audit(root: Path, env: str, commits: list[str] | None = None) -> list[Verdict]:
    """Every promotion of `env` against today's committed keys: one verdict, or one per bad."""
    path = keyfile(env)
    try:
        armored = allowed_keys(root, env)
        if armored is None:
            return [_no_keyfile(root, env, path)]
        allowed = fingerprints(armored, path)
        if commits is None:  # read only when there are keys: keyless repos pay nothing
            commits = [e.commit for e in ledger(root, env)]
        sigs = signatures(root, commits, armored)
    except SigningError as exc:
        return [Verdict(False, "", str(exc))]
    bad = [(s, problem(s, allowed, path)) for s in sigs]
    broken = [Verdict(False, s.commit, f"{s.commit[:12]} is {why}") for s, why in bad if why]
    if broken:
        return broken
    keys = ", ".join(sorted({s.primary[-16:] for s in sigs})) or "nobody (no promotion yet)"
    return [Verdict(True, "", f"{len(sigs)} promotion(s) signed by {keys}, allowed by {path}")]


def _no_keyfile(root: Path, env: str, path: str) -> Verdict:
    gone = removed_in(root, env)
    if gone:
        return Verdict(
            False, gone,
            f"{path} was removed in {gone[:12]}, which switches signature checks off; "
            "restore it (rotate keys by editing the file, never by deleting it)",
        )  # fmt: skip
    return Verdict(
        None, "", f"no {path}: {env} promotions need no signature until its public key is there"
    )


def commit(root: Path, env: str, text: str, allow_empty: bool = False) -> None:
    """Commit the staged promotion, signed (`-S`) when `env` has a promoters key file.

    The tree was clean before the promotion was staged, so on any failure the staged edit
    and the commit are dropped: a refused promotion leaves nothing behind.
    """
    empty = ["--allow-empty"] if allow_empty else []  # a corrective commit: trailers only
    armored = allowed_keys(root, env)
    if armored is None:  # git's own commit.gpgsign still applies
        git(root, "commit", "-q", "--no-verify", *empty, "-F", "-", stdin=text)
        return
    path = keyfile(env)
    allowed = fingerprints(armored, path)
    proc = run(root, ["git", "commit", "-q", "--no-verify", *empty, "-S", "-F", "-"], text.encode())
    if proc.returncode != 0:
        git(root, "reset", "-q", "--hard", "HEAD")
        raise SigningError(
            f"git could not sign the {env} promotion ({last_line(proc.stderr)}); {HOW_TO_SIGN} "
            f"with one of {', '.join(k[-16:] for k in allowed)} from {path}"
        )
    sha = git(root, "rev-parse", "HEAD").strip()
    why = next((problem(s, allowed, path) for s in signatures(root, [sha], armored)), "unread")
    if why:
        git(root, "reset", "-q", "--hard", "HEAD~1")
        raise SigningError(
            f"expected the {env} promotion to be signed by one of "
            f"{', '.join(k[-16:] for k in allowed)} from {path}, but it was {why}; {HOW_TO_SIGN}"
        )


def keep_signature(root: Path) -> list[str]:
    """Rebase flags that re-sign HEAD when it was signed: a rebase drops signatures."""
    header = git(root, "cat-file", "commit", "HEAD").split("\n\n", 1)[0]
    return ["--gpg-sign"] if "\ngpgsig" in header else []
