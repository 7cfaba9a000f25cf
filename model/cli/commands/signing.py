"""`model signing …`: the release identity signs promotions; Argo CD's keyring entries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console

signing_app = typer.Typer(help="Signed promotions: git's signing key, Argo CD's keyring.")


@signing_app.command("setup")
def setup(
    repo: Annotated[Path, typer.Option(help="Work tree whose commits get signed.")] = Path(),
) -> None:
    """Sign commits here with $PROMOTION_GPG_KEY (required once promoter keys are committed)."""
    from model import config
    from model.gitops.signing_setup import setup as do_setup

    console.print(do_setup(repo, config.get(config.PROMOTION_GPG_KEY)))


@signing_app.command("argocd-keys")
def argocd_keys(
    out: Annotated[Path, typer.Argument(help="Directory for one file per key ID.")],
    extra: Annotated[
        list[Path] | None, typer.Argument(help="More armored key files (the forge's merge key).")
    ] = None,
    repo: Annotated[Path, typer.Option(help="Repository holding .gitops/promoters.")] = Path(),
) -> None:
    """Write argocd-gpg-keys-cm entries: the committed promoter keys plus EXTRA."""
    from model.gitops.signing_setup import write_argocd_keys

    ids = write_argocd_keys(repo, out, tuple(extra or ()))
    console.print(f"{len(ids)} key(s) for Argo CD in {out}: {' '.join(ids) or 'none'}")


def register(app: typer.Typer) -> None:
    """Attach `model signing`."""
    app.add_typer(signing_app, name="signing")
