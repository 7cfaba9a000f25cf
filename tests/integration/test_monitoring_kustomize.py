"""The monitoring directory builds with the real `kubectl kustomize`."""

from __future__ import annotations

from tests.tools import kustomize
from tests.unit.monitoring_helpers import MONITORING


def test_kustomize_builds_the_monitoring_dir() -> None:
    docs = kustomize(MONITORING)
    assert {d["kind"] for d in docs} == {"PrometheusRule", "PodMonitor", "ConfigMap"}
    assert {d["metadata"]["namespace"] for d in docs} == {"monitoring"}
