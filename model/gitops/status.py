"""`model status ENV`: the live Deployment and Argo CD Application vs Git's desired state.

The root model's objects come from k8s/overlays/<env>; a fleet model's from the fleet
ApplicationSet (argocd/projects/fleet-applicationset.yaml), which names them after the model.
Its desired state (deploy/<env>/<model>.yaml) is read by model.fleet and passed in here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.gitops import DEFAULT_MODEL, MODEL_NAME, overlay
from model.names import IMAGE_NAME

ARGO = ("argoproj.io", "v1alpha1", "applications")
ARGO_NAMESPACE = "argocd"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass
class Live:
    """What the cluster reports."""

    sync: str = "Unknown"
    health: str = "Unknown"
    revision: str = ""
    spec_digests: list[str] = field(default_factory=list)
    running_digests: list[str] = field(default_factory=list)
    model_sha256: str = ""


@dataclass(frozen=True)
class Objects:
    """Where one model's live objects are in one environment."""

    namespace: str
    deployment: str
    application: str  # in the argocd namespace


def namespace(env: str) -> str:
    """The namespace an environment's overlay deploys to."""
    return f"{IMAGE_NAME}-{overlay.check_env(env)}"


def objects(env: str, model: str | None = None) -> Objects:
    """The root model's objects (its overlay), or a fleet model's (the fleet ApplicationSet's)."""
    if model is None or model == DEFAULT_MODEL:
        return Objects(namespace(env), IMAGE_NAME, f"{IMAGE_NAME}-{env}")
    if not re.fullmatch(MODEL_NAME, model):  # it becomes an API path: checked here too
        raise overlay.OverlayError(f"model name: expected {MODEL_NAME}; found {model!r}")
    env = overlay.check_env(env)
    # the ApplicationSet's template: name "{{model}}-{{env}}", namePrefix "{{model}}-",
    # namespace "fleet-{{model}}-{{env}}" (a unit test renders it and compares)
    return Objects(f"fleet-{model}-{env}", f"{model}-{IMAGE_NAME}", f"{model}-{env}")


def _digests(images: list[str]) -> list[str]:
    return sorted({m.group(0) for image in images if (m := DIGEST.search(image or ""))})


def read_live(apps: Any, core: Any, custom: Any, env: str, model: str | None = None) -> Live:
    """Read Deployment, its pods and the Application through kubernetes client APIs."""
    where, live = objects(env, model), Live()
    ns = where.namespace
    deployment = apps.read_namespaced_deployment(where.deployment, ns)
    containers = deployment.spec.template.spec.containers
    live.spec_digests = _digests([c.image for c in containers])
    live.model_sha256 = next(
        (e.value for c in containers for e in (c.env or []) if e.name == overlay.SHA_ENV), ""
    )
    selector = ",".join(f"{k}={v}" for k, v in deployment.spec.selector.match_labels.items())
    pods = core.list_namespaced_pod(ns, label_selector=selector).items
    live.running_digests = _digests(
        [s.image_id for p in pods for s in (p.status.container_statuses or [])]
    )
    app = custom.get_namespaced_custom_object(*ARGO[:2], ARGO_NAMESPACE, ARGO[2], where.application)
    status = app.get("status", {})
    live.sync = status.get("sync", {}).get("status", "Unknown")
    live.revision = status.get("sync", {}).get("revision", "")
    live.health = status.get("health", {}).get("status", "Unknown")
    return live


def compare(desired: overlay.OverlayState, live: Live) -> list[str]:
    """Problems, for people; empty means the cluster runs exactly what Git says."""
    problems = []
    if (live.sync, live.health) != ("Synced", "Healthy"):
        problems.append(
            f"Argo CD Application is {live.sync}/{live.health}, expected Synced/Healthy"
        )
    if live.spec_digests != [desired.digest]:
        problems.append(
            f"Deployment spec pins {live.spec_digests or 'no digest'}, Git pins {desired.digest}"
        )
    if live.running_digests != [desired.digest]:
        problems.append(f"pods run {live.running_digests or 'nothing'}, Git pins {desired.digest}")
    if live.model_sha256 != desired.model_sha256:
        problems.append(
            f"Deployment MODEL_SHA256 is {live.model_sha256 or 'unset'}, "
            f"Git pins {desired.model_sha256}"
        )
    return problems


def clients() -> tuple[Any, Any, Any]:
    """AppsV1, CoreV1 and CustomObjects APIs from kubeconfig, else in-cluster config."""
    from kubernetes import client, config

    try:
        config.load_kube_config()
    except config.ConfigException:
        config.load_incluster_config()
    return client.AppsV1Api(), client.CoreV1Api(), client.CustomObjectsApi()


def status(
    root: Path,
    env: str,
    apis: tuple[Any, Any, Any] | None = None,
    *,
    model: str | None = None,
    desired: overlay.OverlayState | None = None,
) -> tuple[Live, list[str]]:
    """Live state and its problems against `desired` (default: the root model's overlay)."""
    want = desired if desired is not None else overlay.read(root, env)
    live = read_live(*(apis or clients()), env, model)
    return live, compare(want, live)


def wait_for(
    root: Path,
    env: str,
    apis: tuple[Any, Any, Any],
    wait: float,
    poll: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    *,
    model: str | None = None,
    desired: overlay.OverlayState | None = None,
) -> tuple[Live | None, list[str]]:
    """`status` until it finds no problem or `wait` seconds pass; API errors are retried.

    Git's side is read once, before polling: it does not change while we wait, and a missing
    or broken overlay/release file is the caller's to fix (exit 2), not a live-state error.
    """
    want = desired if desired is not None else overlay.read(root, env)
    deadline = clock() + wait
    while True:
        try:
            live, problems = status(root, env, apis, model=model, desired=want)
        except Exception as exc:  # API errors (404 before Argo CD creates the app) are retried
            live, problems = None, [f"cannot read live state: {exc}"]
        if not problems or clock() >= deadline:
            return live, problems
        sleep(poll)
