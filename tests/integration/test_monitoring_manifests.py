"""The PodMonitor finds the server pods, and the dashboard ships for Grafana's sidecar.

That the platform AppProject allows every kind k8s/monitoring renders is
tests/integration/test_platform_apps_render.py's check.
"""

from __future__ import annotations

import yaml

from tests.conftest import ROOT
from tests.tools import kustomize
from tests.unit.monitoring_helpers import MONITORING, environments

BASE = ROOT / "k8s" / "base"


def rendered() -> list[dict]:
    return kustomize(MONITORING)


def test_the_podmonitor_selects_the_server_pods_and_port() -> None:
    (monitor,) = [d for d in rendered() if d["kind"] == "PodMonitor"]
    deployment = yaml.safe_load((BASE / "credit-scoring-deployment.yaml").read_text())
    base = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    for entry in base.get("labels", []):  # kustomize adds these to the pod template too
        if entry.get("includeSelectors") or entry.get("includeTemplates"):
            pod_labels = {**pod_labels, **entry["pairs"]}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert set(monitor["spec"]["namespaceSelector"]["matchNames"]) == environments()
    ports = {
        p["name"] for c in deployment["spec"]["template"]["spec"]["containers"] for p in c["ports"]
    }
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] in ports and endpoint["path"] == "/metrics"


def test_the_dashboard_ships_for_the_grafana_sidecar() -> None:
    (config,) = [d for d in rendered() if d["kind"] == "ConfigMap"]
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert list(config["data"]) == ["credit-scoring-dashboard.json"]
