"""Signing setup outside the promotion path: the CI secret becomes git's signing key
(`make git-signing-key`), and the committed keys become Argo CD keyring entries."""

from __future__ import annotations

from pathlib import Path

from model import config
from model.gitops.signing import (
    KEY_ID,
    PRIVATE_BLOCK,
    PROMOTERS_DIR,
    SigningError,
    fingerprints,
    keyring,
    last_line,
    run,
)
from model.proc import git


def configure(root: Path, armored_secret: str) -> str:
    """Import one armored secret key into GNUPGHOME and make git in `root` sign with it."""
    data = armored_secret.encode()
    if PRIVATE_BLOCK not in data:
        raise SigningError(
            f"expected an ASCII-armored secret key in {config.PROMOTION_GPG_KEY} "
            "(gpg --armor --export-secret-keys FINGERPRINT), found no PRIVATE KEY block"
        )
    found = fingerprints(data, config.PROMOTION_GPG_KEY)
    if len(found) != 1:
        raise SigningError(
            f"expected exactly one key in {config.PROMOTION_GPG_KEY}, found {len(found)}"
        )
    home = config.get(config.GNUPGHOME)
    if home:  # CI points it at the runner's temp dir; gpg never creates a custom home itself
        Path(home).mkdir(mode=0o700, parents=True, exist_ok=True)
    proc = run(root, ["gpg", "--batch", "--import"], stdin=data)
    if proc.returncode != 0:
        raise SigningError(f"gpg could not import the signing key: {last_line(proc.stderr)}")
    git(root, "config", "user.signingkey", found[0])
    git(root, "config", "commit.gpgsign", "true")
    return found[0]


def split_keys(armored: bytes) -> dict[str, str]:
    """{16-hex key ID: that key alone, armored}: the shape of Argo CD's argocd-gpg-keys-cm."""
    with keyring(armored) as home:
        return {
            fpr[-16:]: run(
                home, ["gpg", "--batch", "--armor", "--export", fpr], home=home
            ).stdout.decode("ascii", "replace")
            for fpr in fingerprints(armored)
        }


def write_argocd_keys(root: Path, out: Path, extra: tuple[Path, ...] = ()) -> list[str]:
    """One file per key in `out`, named by key ID: the committed promoter keys plus `extra`
    (the forge's merge key); returns the IDs."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in [*sorted((root / PROMOTERS_DIR).glob("*.asc")), *extra]:
        for key_id, armored in split_keys(path.read_bytes()).items():
            if KEY_ID.fullmatch(key_id):  # it becomes a file name
                (out / key_id).write_text(armored)
                written.append(key_id)
    return written


def setup(root: Path, secret: str | None) -> str:
    """Sign commits in `root` with `secret` (the CI's $PROMOTION_GPG_KEY); say what was done.

    Without a secret that is fine only while no .gitops/promoters/*.asc exists (bootstrap).
    """
    required = sorted(p.relative_to(root).as_posix() for p in root.glob(f"{PROMOTERS_DIR}/*.asc"))
    if not secret and required:
        raise SigningError(
            f"{', '.join(required)} require signed promotions; "
            f"set {config.PROMOTION_GPG_KEY} to the release secret key"
        )
    if not secret:  # bootstrap: the workflow step can exist before the first key is committed
        return (
            f"no {PROMOTERS_DIR}/*.asc and no {config.PROMOTION_GPG_KEY}: promotions stay unsigned"
        )
    return f"commits here are now signed by {configure(root, secret)}"
