"""`model status ENV`: live Deployment and Argo CD Application vs Git (kubernetes client)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, console, fail
from model.cli.options import fleet_model, model_name_option

HERE = Path()  # default work tree: the current directory
MODEL_HELP = "its Application NAME-ENV vs deploy/ENV/NAME.yaml"


def status(
    env: str = typer.Argument(..., help="staging or prod."),
    wait: int = typer.Option(
        0, min=0, help="Poll up to this many seconds for Synced+Healthy and a match."
    ),
    poll: float = typer.Option(
        5.0, min=0.5, max=300, help="Seconds between reads while --wait lasts."
    ),
    repo: Annotated[Path, typer.Option(help="Work tree holding the desired state.")] = HERE,
    model: Annotated[str | None, model_name_option(MODEL_HELP)] = None,
) -> None:
    """Exit 0 only when the Application is Synced+Healthy and pods run Git's digest and model."""
    from model.gitops.overlay import check_env, read
    from model.gitops.status import clients, wait_for
    from model.proc import toplevel

    root = toplevel(repo)
    info = fleet_model(root, model)  # a bad name or no such model: exit 2, nothing contacted
    check_env(env)
    if info is None:
        name, desired = None, read(root, env)
    else:
        from model.fleet.release import desired as release_of

        name, desired = info.name, release_of(root, env, info.name)
    live, problems = wait_for(root, env, clients(), wait, poll, model=name, desired=desired)
    label = f"{env}" if name is None else f"{name} in {env}"
    if live is not None:
        console.print(
            f"{label}: Argo CD {live.sync}/{live.health} at {live.revision[:12]}, "
            f"running {live.running_digests}"
        )
    if problems:
        fail("; ".join(problems), EXIT_FAILED)
    console.print(f"{label} runs exactly what Git pins")


def register(app: typer.Typer) -> None:
    """Attach `model status`."""
    app.command("status")(status)
