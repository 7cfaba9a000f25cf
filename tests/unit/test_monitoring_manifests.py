"""Argo CD may deploy everything k8s/monitoring holds, and the PodMonitor finds the servers."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.conftest import ROOT
from tests.tools import require
from tests.unit.monitoring_helpers import MONITORING, environments

pytestmark = pytest.mark.unit

PROJECTS = ROOT / "argocd" / "projects"
BASE = ROOT / "k8s" / "base"


def rendered() -> list[dict]:
    kubectl = require("kubectl")
    out = subprocess.run(
        [kubectl, "kustomize", str(MONITORING)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def project_of(path: str) -> dict:
    """The AppProject of the Application that syncs `path`."""
    for file in PROJECTS.glob("*-application.yaml"):
        app = yaml.safe_load(file.read_text())
        if app["spec"]["source"]["path"] == path:
            name = app["spec"]["project"]
            for candidate in PROJECTS.glob("*-appproject.yaml"):
                project = yaml.safe_load(candidate.read_text())
                if project["metadata"]["name"] == name:
                    return project
    raise AssertionError(f"no Application (with its AppProject) syncs {path}")


def test_the_project_allows_every_kind_monitoring_renders() -> None:
    spec = project_of("k8s/monitoring")["spec"]
    allowed = {
        (r["group"], r["kind"])
        for r in spec.get("namespaceResourceWhitelist", [])
        + spec.get("clusterResourceWhitelist", [])
    }
    for doc in rendered():
        group = doc["apiVersion"].rpartition("/")[0]
        assert (group, doc["kind"]) in allowed, f"{doc['kind']} ({group!r}) refused by Argo CD"
    assert {"server": "https://kubernetes.default.svc", "namespace": "monitoring"} in spec[
        "destinations"
    ]


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
