"""Run a rendered Deployment's pod spec locally: the stand-in for a cluster, named as such.

The container runs under Docker with the manifest's own securityContext, env, image digest,
port and probes mapped onto `docker run` flags; with no engine the same spec runs as a local
`model serve` process. Neither is Argo CD or Kubernetes, and callers must say so.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class PreviewError(RuntimeError):
    """The manifests cannot be previewed, or the pod never became ready."""


@dataclass(frozen=True)
class PodSpec:
    """What of a Deployment's first container a local run needs."""

    image: str
    env: dict[str, str]
    port: int
    ready_path: str
    live_path: str
    user: str | None = None
    read_only: bool = False
    drop_all: bool = False
    no_new_privileges: bool = False
    tmpfs: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """The sha256:… part of the image reference."""
        if "@" not in self.image:
            raise PreviewError(f"image {self.image!r} is not pinned by digest")
        return self.image.split("@", 1)[1]


def render(overlay: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize OVERLAY`, parsed."""
    proc = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True)
    if proc.returncode:
        raise PreviewError(f"kubectl kustomize {overlay} failed: {proc.stderr.strip()}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def _probe_path(container: dict[str, Any], probe: str) -> str:
    return str(container[probe]["httpGet"]["path"])


def pod_spec(docs: list[dict[str, Any]]) -> PodSpec:
    """Extract the first Deployment's first container, with pod-level security merged in."""
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise PreviewError(
            f"expected one Deployment in the rendered overlay, found {len(deployments)}"
        )
    pod = deployments[0]["spec"]["template"]["spec"]
    ctr = pod["containers"][0]
    sec = {**pod.get("securityContext", {}), **ctr.get("securityContext", {})}
    uid, gid = sec.get("runAsUser"), sec.get("runAsGroup")
    empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    return PodSpec(
        image=ctr["image"],
        env={e["name"]: str(e["value"]) for e in ctr.get("env", []) if "value" in e},
        port=int(ctr["ports"][0]["containerPort"]),
        ready_path=_probe_path(ctr, "readinessProbe"),
        live_path=_probe_path(ctr, "livenessProbe"),
        user=None if uid is None else f"{uid}:{gid if gid is not None else uid}",
        read_only=bool(sec.get("readOnlyRootFilesystem")),
        drop_all="ALL" in sec.get("capabilities", {}).get("drop", []),
        no_new_privileges=sec.get("allowPrivilegeEscalation") is False,
        tmpfs=[m["mountPath"] for m in ctr.get("volumeMounts", []) if m["name"] in empty_dirs],
    )


def docker_run_args(spec: PodSpec, name: str, image_id: str | None = None) -> list[str]:
    """`docker run` flags that reproduce the pod's securityContext on the host network."""
    args = ["run", "-d", "--rm", "--name", name, "--network", "host"]
    if spec.user:
        args += ["--user", spec.user]
    if spec.read_only:
        args.append("--read-only")
    if spec.drop_all:
        args += ["--cap-drop", "ALL"]
    if spec.no_new_privileges:
        args += ["--security-opt", "no-new-privileges"]
    for path in spec.tmpfs:
        args += ["--tmpfs", f"{path}:rw,noexec,nosuid,size=64m"]
    for key, value in sorted(spec.env.items()):
        args += ["-e", f"{key}={value}"]
    # Locally the "digest" is the image's content-addressed ID: run exactly that image.
    return [*args, image_id or spec.digest]


def wait_ready(url: str, timeout_s: float = 60.0, alive: Any = None) -> float:
    """Poll `url` until it answers 200; return seconds waited. `alive()` False aborts early."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        if alive is not None and not alive():
            raise PreviewError(f"the pod exited before {url} was ready")
        time.sleep(0.1)
    raise PreviewError(f"{url} not ready after {timeout_s:.0f}s")
