"""`model rollback ENV [--to COMMIT|MODEL_VERSION]`: pin an earlier promotion again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console
from model.cli.options import model_name_option

HERE = Path()  # default work tree: the current directory


def rollback(
    env: str = typer.Argument(..., help="staging or prod."),
    to: str = typer.Option(
        "", help="Promotion commit (prefix) or model version; default: the previous digest."
    ),
    push: bool = typer.Option(False, help="Push to main (rollback is the emergency path, no PR)."),
    promoted_by: str = typer.Option("", help="Who rolls back (default: GitHub actor or git user)."),
    model: Annotated[str | None, model_name_option("restores deploy/ENV/NAME.yaml")] = None,
    repo: Annotated[Path, typer.Option(help="Work tree.")] = HERE,
) -> None:
    """Commit the earlier pins with the same trailers plus Rollback-Of."""
    from model.fleet.promotion import target_for
    from model.gitops import DEFAULT_MODEL
    from model.gitops.follow import sync_alias
    from model.gitops.rollback import rollback as run
    from model.proc import toplevel

    root = toplevel(repo)
    pins = target_for(root, model)
    release, landed = run(
        root, env, to=to or None, push=push, promoted_by=promoted_by or None, target=pins
    )
    if landed.commit is None or release is None:
        console.print(f"no-op: {env} already pins that promotion")
        return
    what = "model" if release.model == DEFAULT_MODEL else f"model {release.model}"
    console.print(
        f"rolled back {env} to {release.image_ref} ({what} {release.model_version}); "
        f"commit {landed.commit[:12]} Rollback-Of {release.rollback_of[:12]}"
    )
    console.print(sync_alias("rolled back", env, release, {f"{env}_commit": landed.commit}))


def register(app: typer.Typer) -> None:
    """Attach `model rollback`."""
    app.command("rollback")(rollback)
