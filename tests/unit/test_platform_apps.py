"""The retraining and monitoring Applications deploy exactly what their project allows."""

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

PROJECTS = Path("argocd/projects")


def apps() -> list[dict]:
    docs = [yaml.safe_load(p.read_text()) for p in sorted(PROJECTS.glob("*-application.yaml"))]
    return [d for d in docs if d["spec"]["project"] == "credit-scoring-platform"]


def test_platform_apps_cover_workflows_and_monitoring() -> None:
    paths = {a["spec"]["source"]["path"] for a in apps()}
    assert paths == {"k8s/workflows", "k8s/monitoring"}
    for app in apps():
        policy = app["spec"]["syncPolicy"]
        assert policy["automated"] == {"prune": True, "selfHeal": True}
        assert app["spec"]["source"]["targetRevision"] == "main"
        assert "resources-finalizer.argocd.argoproj.io" in app["metadata"]["finalizers"]
