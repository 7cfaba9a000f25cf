"""The monitoring directory builds with the real `kubectl kustomize`."""

from __future__ import annotations

import subprocess

import yaml

from tests.tools import require
from tests.unit.monitoring_helpers import (
    MONITORING,
)


def test_kustomize_builds_the_monitoring_dir() -> None:
    kubectl = require("kubectl")
    out = subprocess.run(
        [kubectl, "kustomize", str(MONITORING)], capture_output=True, text=True, check=True
    ).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert {d["kind"] for d in docs} == {"PrometheusRule", "PodMonitor", "ConfigMap"}
    assert {d["metadata"]["namespace"] for d in docs} == {"monitoring"}
