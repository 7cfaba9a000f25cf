"""Log one pipeline run to MLflow: params, metrics, model, git commit and data md5.

MLflow costs seconds to import, so it is imported only here and only once per run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model import config
from model.proc import dirty_files, head_or_none
from model.tracking import without_telemetry

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

EXPERIMENT = "credit-scoring"


def import_mlflow() -> Any:
    """`mlflow` with `mlflow.sklearn`, imported with its telemetry off (read as it starts)."""
    without_telemetry(os.environ)
    import mlflow
    import mlflow.sklearn  # log_run calls mlflow.sklearn.log_model

    return mlflow


def tracking_uri() -> str | None:
    """MLFLOW_TRACKING_URI, else the embedded server if it is running, else None."""
    from model.tracking.server import running_uri

    return config.get(config.MLFLOW_TRACKING_URI) or running_uri()


def git_commit(cwd: Path = Path()) -> str:
    """HEAD's sha, suffixed with -dirty when the work tree has changes; 'unknown' outside git."""
    sha = head_or_none(cwd)
    if sha is None:
        return "unknown"
    return f"{sha}-dirty" if dirty_files(cwd) else sha


def last_run_id(root: Path, sha256: str) -> str | None:
    """The MLflow run evaluate recorded in last_run.json, when it logged model `sha256`."""
    try:
        info = json.loads(config.last_run_file(root).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("model_sha256") != sha256 or not info.get("run_id"):
        return None
    return str(info["run_id"])


def flatten(prefix: str, value: Any) -> dict[str, Any]:
    """Flatten nested params into dotted keys, as MLflow wants them."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(flatten(f"{prefix}.{key}" if prefix else str(key), sub))
        return out
    return {prefix: value}


def log_run(
    *, pipeline: Pipeline, params: dict[str, Any], metrics: dict[str, float],
    tags: dict[str, str], artifacts: list[Path],
) -> tuple[str | None, str]:  # fmt: skip
    """Log everything in one run; return (its id or None when tracking is off, what happened)."""
    if not config.flag(config.MODEL_TRACKING, default=True):
        return None, "MLflow tracking off (MODEL_TRACKING=0)"
    uri = tracking_uri()
    if uri is None:
        return None, "MLflow tracking skipped: set MLFLOW_TRACKING_URI or run `model tracking up`"
    mlflow = import_mlflow()
    from model.core.artifact import TRUSTED_TYPES

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run() as run:
        mlflow.log_params(flatten("", params))
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
        for path in artifacts:
            mlflow.log_artifact(str(path))
        mlflow.sklearn.log_model(
            pipeline, name="model", serialization_format="skops", skops_trusted_types=TRUSTED_TYPES
        )
    return str(run.info.run_id), f"MLflow run {run.info.run_id} logged to {uri}"
