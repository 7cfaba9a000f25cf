"""`model drift`: compare current traffic with the training data; exit 1 when it drifted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, EXIT_USAGE, console, fail

DEFAULT_MODEL = Path("models/model.onnx")


REFERENCE_HELP = "Training data: raw CSV, artifacts/train.csv or reports/predictions.csv."
CURRENT_HELP = (
    "Sampled traffic: s3://bucket/prefix of samples-*.jsonl (AWS_ENDPOINT_URL, AWS_* keys), "
    "a local samples directory, or a CSV/JSONL/parquet file."
)
MODEL_HELP = "ONNX model that scores a side lacking scores (skipped when absent)."


def drift(
    reference: Annotated[Path, typer.Option(help=REFERENCE_HELP)],
    current: Annotated[str, typer.Option(help=CURRENT_HELP)],
    out: Annotated[Path, typer.Option(help="Directory for drift.json and drift.md.")] = Path(
        "reports/drift"
    ),
    psi_threshold: Annotated[float, typer.Option(help="PSI above which a column may drift.")] = 0.2,
    alpha: Annotated[float, typer.Option(help="Significance level of KS / chi-square.")] = 0.01,
    bins: Annotated[int, typer.Option(help="Quantile bins per numeric feature.")] = 10,
    model_path: Annotated[Path, typer.Option("--model", help=MODEL_HELP)] = DEFAULT_MODEL,
) -> None:
    """Per-feature and score drift (PSI + KS/chi-square); exit 1 on drift, 2 on bad input."""
    from model.monitoring.drift import DriftInputError, compare
    from model.monitoring.drift_io import add_scores, read_current, read_reference, write_report

    if psi_threshold <= 0 or not 0 < alpha < 1 or bins < 2:
        got = f"{psi_threshold}, {alpha}, {bins}"
        fail(f"expected --psi-threshold > 0, 0 < --alpha < 1, --bins >= 2; got {got}")
    try:
        ref = add_scores(read_reference(reference), model_path)
        cur = add_scores(read_current(current), model_path)
        report = compare(ref, cur, psi_threshold=psi_threshold, alpha=alpha, bins=bins)
    except DriftInputError as err:
        fail(str(err), EXIT_USAGE)
    js, md = write_report(report, out)
    if report.drifted:
        console.print(f"[bold red]drift[/] in {', '.join(report.drifted_columns)}; see {md}")
        raise typer.Exit(EXIT_FAILED)
    console.print(f"no drift above PSI {psi_threshold} / alpha {alpha}; report in {md} and {js}")


def register(app: typer.Typer) -> None:
    """Attach `model drift` to the root app."""
    app.command("drift")(drift)
