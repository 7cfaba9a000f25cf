"""Run a rendered Deployment's pod spec locally: the stand-in for a cluster, named as such.

The container runs under Docker with the manifest's own securityContext, env, image digest,
port and probes mapped onto `docker run` flags; with no engine the same spec runs as a local
`model serve` process. Neither is Argo CD or Kubernetes, and callers must say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from model.config import MODEL_SAMPLE_DIR, CheckFailed
from model.proc import ProcError, run

# Only the cluster has the samples bucket and the Secret holding its keys: the preview's
# server samples to its own /tmp instead, and never ships to the environment's bucket.
CLUSTER_ONLY_ENV = frozenset({MODEL_SAMPLE_DIR})


class PreviewError(CheckFailed):
    """The manifests cannot be previewed (no single Deployment, no probe, no digest)."""


@dataclass(frozen=True)
class PodSpec:
    """What of a Deployment's first container the preview needs to reach and check it."""

    pod: dict[str, Any]
    container: dict[str, Any]

    @property
    def image(self) -> str:
        return str(self.container["image"])

    @property
    def digest(self) -> str:
        """The sha256:… part of the image reference."""
        if "@" not in self.image:
            raise PreviewError(f"image {self.image!r} is not pinned by digest")
        return self.image.split("@", 1)[1]

    @property
    def env(self) -> dict[str, str]:
        """The container's literal env values, less what only the cluster can serve."""
        return {
            e["name"]: str(e["value"])
            for e in self.container.get("env", [])
            if "value" in e and e["name"] not in CLUSTER_ONLY_ENV
        }

    @property
    def port(self) -> int:
        return int(self.container["ports"][0]["containerPort"])

    @property
    def ready_path(self) -> str:
        return str(self.container["readinessProbe"]["httpGet"]["path"])

    @property
    def live_path(self) -> str:
        return str(self.container["livenessProbe"]["httpGet"]["path"])


def render(overlay: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize OVERLAY`, parsed."""
    try:
        out = run(["kubectl", "kustomize", str(overlay)]).stdout
    except ProcError as exc:
        raise PreviewError(str(exc)) from exc
    return [d for d in yaml.safe_load_all(out) if d]


def pod_spec(docs: list[dict[str, Any]]) -> PodSpec:
    """The one Deployment's pod template and its one container."""
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise PreviewError(f"expected one Deployment in the render, found {len(deployments)}")
    pod = deployments[0]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return PodSpec(pod, container)


def _mebibytes(quantity: object) -> str:
    return str(quantity).replace("Mi", "m")


def docker_args(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """Map a pod template's container onto `docker run` flags, field by field."""
    sc = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    args = ["--network", "host", "--user", f"{sc['runAsUser']}:{sc['runAsGroup']}"]
    if sc.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    args += [f"--cap-drop={cap}" for cap in sc.get("capabilities", {}).get("drop", [])]
    if sc.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        if "emptyDir" not in volumes[mount["name"]]:
            continue  # a Secret volume: its Secret exists only in the cluster
        size = _mebibytes(volumes[mount["name"]]["emptyDir"].get("sizeLimit", "64Mi"))
        args += ["--tmpfs", f"{mount['mountPath']}:rw,size={size},mode=1777"]
    for name, value in PodSpec(pod, container).env.items():
        args += ["-e", f"{name}={value}"]
    limits = container.get("resources", {}).get("limits", {})
    if "memory" in limits:
        args += ["--memory", _mebibytes(limits["memory"])]
    # Kubernetes pulls REF@DIGEST; locally the digest is the image's own content-addressed ID.
    image = container["image"].split("@", 1)[1]
    command = container.get("command", [])
    if command:
        return [*args, "--entrypoint", command[0], image, *command[1:], *container.get("args", [])]
    return [*args, image, *container.get("args", [])]
