"""Log one pipeline run to MLflow: params, metrics, model, git commit and data md5.

MLflow costs seconds to import, so it is imported only here and only once per run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from model import config

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

EXPERIMENT = "credit-scoring"


def tracking_uri() -> str | None:
    """MLFLOW_TRACKING_URI, else the embedded server if it is running, else None."""
    from model.tracking.server import running_uri

    return config.get(config.MLFLOW_TRACKING_URI) or running_uri()


def git_commit(cwd: Path = Path()) -> str:
    """HEAD's sha, suffixed with -dirty when the work tree has changes; 'unknown' outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def data_md5(dvc_file: Path = Path("data.dvc")) -> str:
    """The md5 that data.dvc pins for data/."""
    return str(yaml.safe_load(dvc_file.read_text())["outs"][0]["md5"])


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
) -> str | None:  # fmt: skip
    """Log everything in one run; return its id, or None when tracking is off or unset."""
    if not config.flag(config.MODEL_TRACKING, default=True):
        print("MLflow tracking off (MODEL_TRACKING=0)")
        return None
    uri = tracking_uri()
    if uri is None:
        print("MLflow tracking skipped: set MLFLOW_TRACKING_URI or run `model tracking up`")
        return None
    import mlflow
    import mlflow.sklearn

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
    print(f"MLflow run {run.info.run_id} logged to {uri}")
    return str(run.info.run_id)
