"""`model status ENV`: live Deployment and Argo CD Application vs Git (kubernetes client)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, console, fail

HERE = Path()  # default work tree: the current directory


def status(
    env: str = typer.Argument(..., help="staging or prod."),
    wait: int = typer.Option(
        0, help="Poll up to this many seconds for Synced+Healthy and a match."
    ),
    repo: Annotated[Path, typer.Option(help="Work tree holding the desired state.")] = HERE,
) -> None:
    """Exit 0 only when the Application is Synced+Healthy and pods run Git's digest and model."""
    from model.gitops.status import clients, wait_for
    from model.proc import toplevel

    live, problems = wait_for(toplevel(repo), env, clients(), wait)
    if live is not None:
        console.print(
            f"{env}: Argo CD {live.sync}/{live.health} at {live.revision[:12]}, "
            f"running {live.running_digests}"
        )
    if problems:
        fail("; ".join(problems), EXIT_FAILED)
    console.print(f"{env} runs exactly what Git pins")


def register(app: typer.Typer) -> None:
    """Attach `model status`."""
    app.command("status")(status)
