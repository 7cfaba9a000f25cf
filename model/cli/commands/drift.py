"""`model drift`: compare current traffic with the training data; exit 1 when it drifted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, EXIT_USAGE, console, fail
from model.cli.options import fleet_model, model_name_option

ONNX = "models/model.onnx"  # in the model's DVC project: the root, or fleet/NAME
OUT = Path("reports/drift")  # git-ignored; a fleet model's report goes in OUT/NAME

REFERENCE_HELP = "Training data: raw CSV, artifacts/train.csv or reports/predictions.csv."
CURRENT_HELP = (
    "Sampled traffic: s3://bucket/prefix of samples-*.jsonl (AWS_ENDPOINT_URL, AWS_* keys), "
    "a local samples directory, or a CSV/JSONL/parquet file."
)
ONNX_HELP = (
    f"ONNX model that scores a side lacking scores (skipped when absent). Default: {ONNX} "
    "in the model's folder."
)
OUT_HELP = f"Directory for drift.json and drift.md. Default: {OUT} ({OUT}/NAME for --model)."
MODEL_HELP = "its contract's features, fleet/NAME/models/model.onnx"


def drift(
    reference: Annotated[Path, typer.Option(help=REFERENCE_HELP)],
    current: Annotated[str, typer.Option(help=CURRENT_HELP)],
    out: Annotated[Path | None, typer.Option(help=OUT_HELP)] = None,
    psi_threshold: Annotated[float, typer.Option(help="PSI above which a column may drift.")] = 0.2,
    alpha: Annotated[float, typer.Option(help="Significance level of KS / chi-square.")] = 0.01,
    bins: Annotated[int, typer.Option(help="Quantile bins per numeric feature.")] = 10,
    onnx: Annotated[Path | None, typer.Option("--onnx", help=ONNX_HELP)] = None,
    model: Annotated[str | None, model_name_option(MODEL_HELP)] = None,
) -> None:
    """Per-feature and score drift (PSI + KS/chi-square); exit 1 on drift, 2 on bad input."""
    from model.monitoring.drift import DriftInputError, compare
    from model.monitoring.drift_io import add_scores, read_current, read_reference, write_report

    info = fleet_model(Path(), model)  # a bad name or no such model: exit 2, nothing read
    if psi_threshold <= 0 or not 0 < alpha < 1 or bins < 2:
        got = f"{psi_threshold}, {alpha}, {bins}"
        fail(f"expected --psi-threshold > 0, 0 < --alpha < 1, --bins >= 2; got {got}")
    contract = None
    if info is not None:
        from model.core.contract_file import load
        from model.fleet.layout import CONTRACT

        contract = load(Path(info.path(CONTRACT)))
    onnx = onnx or Path(info.folder if info else ".") / ONNX
    out = out or (OUT / info.name if info else OUT)
    try:
        ref = add_scores(read_reference(reference, contract), onnx, contract)
        cur = add_scores(read_current(current, contract), onnx, contract)
        report = compare(ref, cur, contract, psi_threshold=psi_threshold, alpha=alpha, bins=bins)
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
