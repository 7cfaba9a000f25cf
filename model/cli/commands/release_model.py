"""`model release-model` and `model remote-status`: a merged model can always be released."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console, fail

RemoteOption = Annotated[
    str | None, typer.Option(help="DVC remote name (default: the repository's default remote).")
]
RepoOption = Annotated[Path, typer.Option(help="Repository root.")]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="A fleet model (fleet/NAME: its dvc.lock and DVC project); default: the root.",
    ),
]


def _project(repo: Path, model: str | None) -> Path:
    """The DVC project holding the model's dvc.lock (a bad name: FleetError, exit 2)."""
    from model.fleet.layout import project_folder

    return repo.resolve() / project_folder(model)


def release_model(
    remote: RemoteOption = None,
    push: Annotated[bool, typer.Option(help="Push rebuilt outputs and data to the remote.")] = True,
    model: ModelOption = None,
    repo: RepoOption = Path(),
) -> None:
    """The train outputs dvc.lock pins: pulled, else rebuilt; md5-checked; pushed."""
    from rich.markup import escape

    from model.review.release_model import ReleaseModelError, release

    try:
        result = release(_project(repo, model), remote, push=push)
    except ReleaseModelError as err:
        fail(escape(str(err)), err.exit_code)
    for miss in result.rebuilt_because:
        console.print(f"remote `{result.remote}` lacks {miss.output.path} ({miss.output.md5})")
    how = {
        "workspace": "already in the workspace",
        "remote": f"pulled from remote `{result.remote}`",
        "rebuilt": "rebuilt with `dvc repro --force train`",
    }[result.source]
    pushed = f"; pushed to remote `{result.remote}`" if result.pushed else ""
    console.print(
        f"{len(result.outputs)} train outputs {how}; every md5 matches dvc.lock{pushed}",
        soft_wrap=True,
    )


def remote_status(
    remote: RemoteOption = None,
    summary: Annotated[
        Path | None, typer.Option(help="Append the answer as markdown (e.g. $GITHUB_STEP_SUMMARY).")
    ] = None,
    model: ModelOption = None,
    repo: RepoOption = Path(),
) -> None:
    """Say whether the DVC remote already holds the train outputs dvc.lock pins (exit 0)."""
    from rich.markup import escape

    from model.review.release_model import ReleaseModelError, describe
    from model.review.release_model import remote_status as status_of

    try:
        status = status_of(_project(repo, model), remote)
    except ReleaseModelError as err:
        fail(escape(str(err)), err.exit_code)
    line = describe(status)
    console.print(f"model on the DVC remote: {status.state}. {line}", soft_wrap=True)
    if summary is not None:
        with summary.open("a") as fh:
            fh.write(f"**Model on the DVC remote: {status.state}.** {line}\n")


def register(app: typer.Typer) -> None:
    """Attach `model release-model` and `model remote-status` to the root app."""
    app.command("release-model")(release_model)
    app.command("remote-status")(remote_status)
