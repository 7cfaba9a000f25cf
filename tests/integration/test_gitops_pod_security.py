"""Every pod template (rendered overlays, argocd hook Jobs) meets Pod Security "restricted"."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from model.names import IMAGE_MODEL_DIR, SERVING_PORT

ROOT = Path(__file__).resolve().parents[2]
ENVS = ("staging", "prod")


def render(env: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "k8s/overlays" / env)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def hook_docs() -> list[dict[str, Any]]:
    return [
        d
        for p in sorted((ROOT / "k8s/base/hooks").glob("*-job.yaml"))
        for d in yaml.safe_load_all(p.read_text())
    ]


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}
    ]


def assert_restricted(where: str, spec: dict[str, Any]) -> None:
    pod = spec.get("securityContext", {})
    assert pod.get("runAsNonRoot") is True, where
    assert isinstance(pod.get("runAsUser"), int) and pod["runAsUser"] > 0, where
    assert isinstance(pod.get("runAsGroup"), int) and pod["runAsGroup"] > 0, where
    assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
    assert spec.get("automountServiceAccountToken") is False, where
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not spec.get(key), f"{where}: {key}"
    assert all("hostPath" not in v for v in spec.get("volumes", [])), where
    for c in spec["containers"] + spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        assert sc.get("allowPrivilegeEscalation") is False, f"{where}/{c['name']}"
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}/{c['name']}"
        assert not sc.get("capabilities", {}).get("add"), f"{where}/{c['name']}"
        assert sc.get("readOnlyRootFilesystem") is True, f"{where}/{c['name']}"
        assert sc.get("privileged") in (None, False), f"{where}/{c['name']}"
        assert sc.get("runAsNonRoot", True) is True, f"{where}/{c['name']}"
        assert "limits" in c.get("resources", {}) and "requests" in c["resources"], (
            f"{where}/{c['name']}"
        )
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{where}/{c['name']}: no scratch emptyDir at /tmp"


@pytest.mark.parametrize("env", ENVS)
def test_rendered_pod_templates_are_restricted(env: str) -> None:
    specs = pod_specs(render(env))
    assert {w for w, _ in specs} == {
        "Deployment/credit-scoring",
        "Job/credit-scoring-selfcheck",
        "Job/credit-scoring-smoke",
    }
    for where, spec in specs:
        assert_restricted(where, spec)
        for c in spec["containers"]:
            assert "@sha256:" in c["image"], f"{where}: image not pinned by digest"


@pytest.mark.parametrize("env", ENVS)
def test_namespace_enforces_restricted_and_deployment_fits_the_server(env: str) -> None:
    docs = render(env)
    (ns,) = [d for d in docs if d["kind"] == "Namespace"]
    assert ns["metadata"]["name"] == f"credit-scoring-{env}"
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(
        d["metadata"].get("namespace", ns["metadata"]["name"]) == ns["metadata"]["name"]
        for d in docs
    )
    (dep,) = [d for d in docs if d["kind"] == "Deployment"]
    assert "replicas" not in dep["spec"], "the HPA owns replicas"
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    assert c["ports"][0]["containerPort"] == SERVING_PORT
    assert c["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    env_vars = {e["name"]: e.get("value") for e in c["env"]}
    assert env_vars["MODEL_DIR"] == IMAGE_MODEL_DIR and "MODEL_SHA256" in env_vars
    annotations = dep["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(SERVING_PORT)
    kinds = {d["kind"] for d in docs}
    assert {
        "Service",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    } <= kinds


def test_appproject_whitelists_exactly_the_kinds_rendered() -> None:
    project = yaml.safe_load((ROOT / "argocd/projects/credit-scoring-appproject.yaml").read_text())
    allowed = {i["kind"] for i in project["spec"]["namespaceResourceWhitelist"]}
    allowed |= {i["kind"] for i in project["spec"]["clusterResourceWhitelist"]}
    rendered = {d["kind"] for env in ENVS for d in render(env)}
    assert allowed == rendered
    assert {d["namespace"] for d in project["spec"]["destinations"]} == {
        f"credit-scoring-{e}" for e in ENVS
    }


def test_argocd_hook_jobs_are_restricted_as_written() -> None:
    specs = pod_specs(hook_docs())
    assert len(specs) == 2
    for where, spec in specs:
        assert_restricted(where, spec)
