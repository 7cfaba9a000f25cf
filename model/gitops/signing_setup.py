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


def main(argv: list[str] | None = None) -> int:
    """`python -m model.gitops.signing_setup`: sign with $PROMOTION_GPG_KEY (make
    git-signing-key); `... argocd-keys DIR [KEYFILE...]`: argocd-gpg-keys-cm entries."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 2 and args[0] == "argocd-keys":
        try:
            ids = write_argocd_keys(Path(), Path(args[1]), tuple(map(Path, args[2:])))
        except SigningError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{len(ids)} key(s) for Argo CD in {args[1]}: {' '.join(ids) or 'none'}")
        return 0
    if args:
        print(
            "usage: python -m model.gitops.signing_setup [argocd-keys DIR [KEYFILE...]]",
            file=sys.stderr,
        )
        return 2
    secret = config.get(config.PROMOTION_GPG_KEY)
    required = sorted(p.as_posix() for p in Path().glob(f"{PROMOTERS_DIR}/*.asc"))
    if not secret and required:
        need = f"set {config.PROMOTION_GPG_KEY} to the release secret key"
        print(f"error: {', '.join(required)} require signed promotions; {need}", file=sys.stderr)
        return 2
    if not secret:  # bootstrap: the workflow step can exist before the first key is committed
        print(
            f"no {PROMOTERS_DIR}/*.asc and no {config.PROMOTION_GPG_KEY}: promotions stay unsigned"
        )
        return 0
    try:
        fpr = configure(Path(), secret)
    except SigningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"commits here are now signed by {fpr}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
