"""`model data …`: materialise the DVC-tracked dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, console, fail

data_app = typer.Typer(
    help="Materialise and inspect the DVC-tracked dataset.", no_args_is_help=True
)


@data_app.command("pull")
def pull(
    repo: Annotated[Path, typer.Option(help="Repository root holding data.dvc.")] = Path(),
) -> None:
    """dvc pull data/, bootstrapping the remote from the packaged source when it is empty."""
    from model.pipeline.datapull import pull as do_pull

    if not (repo / "data.dvc").exists():
        fail(f"{repo / 'data.dvc'} not found; run from the repository root or pass --repo")
    result = do_pull(repo)
    pushed = " and pushed to the DVC remote" if result.pushed else ""
    console.print(f"data/ at md5 [bold]{result.md5}[/] (from {result.source}{pushed})")


@data_app.command("update")
def update(
    repo: Annotated[Path, typer.Option(help="Repository root holding data.dvc.")] = Path(),
) -> None:
    """Re-pin data.dvc to the edited data/ after the data contract passes, and stage it."""
    from rich.markup import escape

    from model.core.contract import ContractError
    from model.core.dataset import DataReadError
    from model.pipeline.datapull import DataPullError
    from model.pipeline.datapull import update as do_update

    if not (repo / "data.dvc").exists():
        fail(f"{repo / 'data.dvc'} not found; run from the repository root or pass --repo")
    try:
        result = do_update(repo.resolve())
    except (ContractError, DataReadError, DataPullError) as err:
        # one exit code for every refusal here: nothing was pinned, whatever the reason
        fail(f"nothing was pinned: {escape(str(err))}", EXIT_FAILED)
    if result.new == result.old:
        console.print(f"data.dvc already pins data/ at md5 [bold]{result.new}[/]; nothing to do")
        return
    console.print(
        f"data.dvc re-pinned: {result.old} -> [bold]{result.new}[/] (staged). Next: "
        "`dvc repro`, then commit data.dvc and dvc.lock together, and `dvc push`."
    )


@data_app.command("md5")
def md5(
    repo: Annotated[Path, typer.Option(help="Repository root holding data.dvc.")] = Path(),
) -> None:
    """Print the md5 data.dvc pins for data/ (what images are labelled with)."""
    from model.core.dataset import pinned_md5

    typer.echo(pinned_md5(repo))


def register(app: typer.Typer) -> None:
    """Attach `model data` to the root app."""
    app.add_typer(data_app, name="data")
