"""DVC stage `evaluate`: metrics, plot data, per-row predictions, importance.

It is also the one place a pipeline run is logged to MLflow, so tracking costs one import.
Predict latency is no output here: a timing differs run to run, so it would make the stage
irreproducible; `model report` measures base and head side by side instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model import config
from model.core.schema import CREDIT_CONTRACT, Contract

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline


def predictions_frame(
    test: pd.DataFrame, y: np.ndarray, p: np.ndarray, threshold: float,
    contract: Contract = CREDIT_CONTRACT,
) -> pd.DataFrame:  # fmt: skip
    """Per-row predictions keyed by row id, with the features reports segment on."""
    out = test[[contract.id_column, *contract.feature_names]].copy()
    out.insert(1, "y_true", y)
    out.insert(2, "proba", p.round(8))
    out.insert(3, "y_pred", (p >= threshold).astype(int))
    return out


def importance(
    pipeline: Pipeline, x: pd.DataFrame, y: np.ndarray, cfg: dict[str, Any]
) -> dict[str, dict[str, float]]:
    """Permutation importance (drop in ROC AUC) per feature, seeded."""
    from sklearn.inspection import permutation_importance

    result = permutation_importance(
        pipeline, x, y, scoring="roc_auc", n_repeats=int(cfg["importance_repeats"]),
        random_state=int(cfg["seed"]), n_jobs=1,
    )  # fmt: skip
    return {
        name: {"mean": round(float(m), 6), "std": round(float(s), 6)}
        for name, m, s in zip(
            x.columns, result.importances_mean, result.importances_std, strict=True
        )
    }


def write_json(path: Path, data: Any) -> None:
    """Write sorted, indented JSON with a trailing newline (stable diffs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Evaluate `--model-dir` on `--test` and write every report file."""
    from model.core import metrics as m
    from model.core.artifact import load_skops
    from model.core.contract_file import load_or_default
    from model.core.dataset import read_raw
    from model.core.features import feature_frame, target
    from model.names import META_FILE, SKOPS_FILE

    ap = argparse.ArgumentParser(prog="python -m model.pipeline.evaluate")
    for name in (
        "model-dir",
        "test",
        "metrics",
        "plots-dir",
        "predictions",
        "importance",
    ):
        ap.add_argument(f"--{name}", type=Path, required=True)
    ap.add_argument(
        "--contract", type=Path, help="a contract.yaml (default: the credit contract in code)"
    )
    ap.add_argument(
        "--params", type=Path, default=config.PARAMS_FILE, help="the params file to read"
    )
    args = ap.parse_args(argv)
    cfg = config.load_params("evaluate", args.params)
    contract = load_or_default(args.contract)
    meta = json.loads((args.model_dir / META_FILE).read_text())
    threshold = float(meta["threshold"])
    pipeline = load_skops(args.model_dir / SKOPS_FILE)
    test = read_raw(args.test)
    x, y = feature_frame(test, contract), target(test, contract)
    p = pipeline.predict_proba(x)[:, 1]

    quality = {**m.quality(y, p, threshold), "n_test": len(y)}
    write_json(args.metrics, quality)
    plots = {
        "roc.json": m.roc_points(y, p),
        "pr.json": m.pr_points(y, p),
        "calibration.json": m.calibration_points(y, p, int(cfg["calibration_bins"])),
        "confusion.json": m.confusion_rows(y, p, threshold, contract.target_classes),
    }
    for name, rows in plots.items():
        write_json(args.plots_dir / name, rows)
    args.predictions.parent.mkdir(parents=True, exist_ok=True)
    predictions_frame(test, y, p, threshold, contract).to_csv(
        args.predictions, index=False, lineterminator="\n"
    )
    write_json(args.importance, importance(pipeline, x, y, cfg))
    print("metrics: " + ", ".join(f"{k}={v}" for k, v in quality.items()))
    print(_track(pipeline, meta, quality, args))
    return 0


def _track(
    pipeline: Pipeline, meta: dict[str, Any], quality: dict[str, Any], args: argparse.Namespace
) -> str:
    """Log the run to MLflow and record it in last_run.json; say what happened."""
    from model.core.dataset import pinned_md5
    from model.tracking import runs as tracking

    all_params = {s: config.load_params(s, args.params) for s in ("prepare", "train", "evaluate")}
    from model.core.artifact import bundle_sha256, read_bundle

    tags = {
        "git_commit": tracking.git_commit(),
        "data_md5": pinned_md5(Path()),
        # the digest releases pin (model.json + model.onnx), so registry lookups by tag match
        "model_sha256": bundle_sha256(read_bundle(args.model_dir)),
    }
    run_id, note = tracking.log_run(
        pipeline=pipeline, params=all_params, metrics=quality, tags=tags,
        artifacts=[args.metrics, args.importance, args.model_dir / "model.onnx"],
    )  # fmt: skip
    if run_id:
        write_json(config.last_run_file(), {"run_id": run_id, **tags})
    return note


if __name__ == "__main__":
    raise SystemExit(main())
