"""MLflow: run logging, the embedded loopback server and the model registry client."""

from __future__ import annotations

from collections.abc import MutableMapping

from model import config


def without_telemetry(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """`env` with MLflow's usage telemetry off, unless the user chose otherwise: MLflow 3
    reports usage to its makers from every process that is not under CI."""
    env.setdefault(config.MLFLOW_DISABLE_TELEMETRY, "true")
    return env
