"""`model fleet new-data`: the fleet retraining fan-out's scan step (models with new data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from model.cli.commands.fleet import fleet_app
from model.cli.console import EXIT_FAILED, console, fail


@fleet_app.command("new-data")
def new_data(
    snapshots: Annotated[str, typer.Option(help="s3:// prefix holding <model>/*.csv snapshots.")],
    out: Annotated[Path, typer.Option(help="Write the fan-out's JSON list here.")],
) -> None:
    """Write [{"model": NAME, "snapshot": URI}]: each model's oldest snapshot not yet submitted."""
    from rich.markup import escape

    from model.fleet.new_data import due
    from model.training.scan import BucketError

    try:
        found = due(snapshots)
    except BucketError as err:
        fail(escape(str(err)), EXIT_FAILED)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(found.items, separators=(",", ":")))
    for name in found.refused:
        console.print(f"skipped folder {name!r}: not a model name", markup=False)
    console.print(f"{len(found.items)} model(s) with new data under {snapshots}", markup=False)


def register(app: typer.Typer) -> None:
    """`model fleet new-data` is attached to the fleet group when this module is imported."""
    del app
