"""k8s/monitoring, as rendered, matches the Prometheus Operator CRD schemas; a broken one fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.tools import require
from tests.unit.monitoring_helpers import MONITORING

pytestmark = pytest.mark.e2e

SCRIPT = ROOT / "scripts" / "validate-crds.mjs"


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    node, npm = require("node"), require("npm")
    if not (ROOT / "scripts/node_modules/@kubernetes-models/prometheus-operator").is_dir():
        subprocess.run(
            [npm, "ci", "--prefix", "scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=ROOT,
            check=True,
            timeout=300,
        )
    return subprocess.run(
        [node, str(SCRIPT), str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


@pytest.fixture(scope="module")
def rendered() -> str:
    out = subprocess.run(
        [require("kubectl"), "kustomize", str(MONITORING)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out


def test_the_rendered_monitoring_objects_are_valid(rendered: str, tmp_path: Path) -> None:
    (tmp_path / "monitoring.yaml").write_text(rendered)
    out = _validate(tmp_path / "monitoring.yaml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok   " in out.stdout and "PodMonitor/credit-scoring" in out.stdout
    assert "2 operator object(s) checked, 0 invalid" in out.stdout


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("interval: 30s", "interval: 30 seconds", "podMetricsEndpoints/0/interval must match"),
        ("for: 10m", "for: ten minutes", "must match pattern"),
        (
            "podMetricsEndpoints:",
            "podMetricEndpoints:",
            "unknown field(s): spec.podMetricEndpoints",
        ),
        ("    path: /metrics", "    paht: /metrics", "spec.podMetricsEndpoints[0].paht"),
        ("    matchLabels:", "    matchLabel:", "unknown field(s): spec.selector.matchLabel"),
        ("kind: PodMonitor", "kind: PodMonitr", "no schema for monitoring.coreos.com/v1 PodMonitr"),
        (
            "monitoring.coreos.com/v1\nkind: PodMonitor",
            "monitoring.coreos.com/v2\nkind: PodMonitor",
            "no schema for monitoring.coreos.com/v2",
        ),
    ],
)
def test_a_broken_object_fails(
    rendered: str, tmp_path: Path, old: str, new: str, error: str
) -> None:
    assert old in rendered
    (tmp_path / "monitoring.yaml").write_text(rendered.replace(old, new))
    out = _validate(tmp_path / "monitoring.yaml")
    assert out.returncode == 1 and error in out.stderr, out.stdout + out.stderr


def test_nothing_to_validate_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    out = _validate(tmp_path / "empty.yaml")
    assert out.returncode == 1 and "objects found" in out.stderr
    assert "monitoring.coreos.com" in out.stderr and "external-secrets.io" in out.stderr
