"""`model rollback ENV [--to COMMIT|MODEL_VERSION]`: pin an earlier promotion again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, EXIT_USAGE, fail
from model.gitops import out

HERE = Path()  # default work tree: the current directory


def rollback(
    env: str = typer.Argument(..., help="staging or prod."),
    to: str = typer.Option(
        "", help="Promotion commit (prefix) or model version; default: the previous digest."
    ),
    push: bool = typer.Option(False, help="Push to main (rollback is the emergency path, no PR)."),
    promoted_by: str = typer.Option("", help="Who rolls back (default: GitHub actor or git user)."),
    repo: Annotated[Path, typer.Option(help="Work tree.")] = HERE,
) -> None:
    """Commit the earlier pins with the same trailers plus Rollback-Of."""
    from rich.markup import escape

    from model.gitops.land import AttemptsError, LandError
    from model.gitops.overlay import OverlayError
    from model.gitops.promote import PromoteError
    from model.gitops.rollback import rollback as run
    from model.proc import GitError, toplevel
    from model.tracking import registry

    try:
        release, landed = run(
            toplevel(repo), env, to=to or None, push=push, promoted_by=promoted_by or None
        )
    except (PromoteError, OverlayError, AttemptsError) as exc:
        fail(escape(str(exc)), EXIT_USAGE)  # values in the message may hold [markup]
    except (LandError, GitError) as exc:
        fail(escape(str(exc)), EXIT_FAILED)
    if landed.commit is None or release is None:
        out.print(f"no-op: {env} already pins that promotion")
        return
    out.print(
        f"rolled back {env} to {release.image_ref} (model {release.model_version}); "
        f"commit {landed.commit[:12]} Rollback-Of {release.rollback_of[:12]}"
    )
    try:
        out.print(registry.sync_alias(env, release.model_sha256, {f"{env}_commit": landed.commit}))
    except registry.RegistryError as exc:
        fail(f"rolled back, but the MLflow {env} alias was not updated: {exc}", EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Attach `model rollback`."""
    app.command("rollback")(rollback)
