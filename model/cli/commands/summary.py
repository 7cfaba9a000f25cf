"""`model summary`: the metrics table and where to look next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console, fail


def summary(
    reports: Annotated[
        Path, typer.Option(help="The evaluate stage's report folder, in the model's project.")
    ] = Path("reports"),
    model: Annotated[
        str | None,
        typer.Option("--model", help="A fleet model (fleet/NAME/reports); default: the root."),
    ] = None,
) -> None:
    """Print the evaluate stage's metrics, the MLflow UI URL and the plots to open."""
    from rich.table import Table

    from model.fleet.layout import DEFAULT_MODEL, project_folder
    from model.review.summary import read_metrics
    from model.tracking.runs import tracking_uri

    try:
        values = read_metrics(Path(project_folder(model)) / reports)
    except FileNotFoundError as err:
        fail(str(err))
    table = Table(title=f"{model or DEFAULT_MODEL}: test-split metrics")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in values.items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    uri = tracking_uri()
    console.print(f"MLflow UI: {uri}" if uri else "MLflow: not running (`model tracking up`)")
    console.print("Plots: `uv run dvc plots show` writes dvc_plots/index.html")


def register(app: typer.Typer) -> None:
    """Attach `model summary` to the root app."""
    app.command("summary")(summary)
