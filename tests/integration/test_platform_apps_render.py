"""The platform AppProject allows exactly what its Applications render (`kubectl kustomize`)."""

import subprocess
from pathlib import Path

import yaml

PROJECTS = Path("argocd/projects")


def render(path: str) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True, check=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def apps() -> list[dict]:
    docs = [yaml.safe_load(p.read_text()) for p in sorted(PROJECTS.glob("*-application.yaml"))]
    return [d for d in docs if d["spec"]["project"] == "credit-scoring-platform"]


def test_platform_project_allows_exactly_what_its_apps_render() -> None:
    project = yaml.safe_load((PROJECTS / "credit-scoring-platform-appproject.yaml").read_text())
    allowed = {(i["group"], i["kind"]) for i in project["spec"]["namespaceResourceWhitelist"]}
    allowed |= {(i["group"], i["kind"]) for i in project["spec"]["clusterResourceWhitelist"]}
    rendered = {
        (d["apiVersion"].rpartition("/")[0], d["kind"])
        for app in apps()
        for d in render(app["spec"]["source"]["path"])
    }
    assert allowed == rendered
    namespaces = {d["namespace"] for d in project["spec"]["destinations"]}
    assert namespaces == {a["spec"]["destination"]["namespace"] for a in apps()}
