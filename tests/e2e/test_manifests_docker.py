"""The rendered staging Deployment runs under Docker with its own securityContext, env and probes.

This proves the manifests and the image agree: a read-only root, the numeric user, no
capabilities, the emptyDirs as tmpfs, MODEL_SHA256 from the overlay, and the probe paths and
port the manifest declares. Docker stands in for the kubelet; the image is run by its local,
content-addressed ID, which is what the overlay pins in the local demo.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from model.demo.preview import docker_args
from model.gitops import overlay
from model.gitops.trailers import Release
from model.names import LABEL_MODEL_SHA256, LOCAL_TAG
from model.serving.selfcheck import check_url
from tests.conftest import ROOT
from tests.tools import find

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
DOCKER = find("docker") or "docker"


def docker(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the docker client; raise with its output on failure when `check`."""
    proc = subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def image() -> dict[str, Any]:
    """Inspect credit-scoring:local, building it with `make image` when it is missing."""
    try:
        if docker("version", check=False, timeout=20).returncode != 0:
            pytest.skip(
                "no reachable Docker engine (CI provisions one via scripts/docker-engine.sh)"
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no Docker client/engine here: {exc}")
    if docker("image", "inspect", LOCAL_TAG, check=False).returncode != 0:
        build = subprocess.run(["make", "image"], cwd=ROOT, capture_output=True, text=True,
                               check=False, timeout=1800)  # fmt: skip
        assert build.returncode == 0, (
            f"make image failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
        )
    import json

    return json.loads(docker("image", "inspect", LOCAL_TAG).stdout)[0]


def render_staging(tmp: Path, image: dict[str, Any], sha256: str) -> list[dict[str, Any]]:
    """Pin the local image and its model in a copy of the staging overlay and render it."""
    for folder in ("k8s", "argocd"):
        shutil.copytree(ROOT / folder, tmp / folder)
    release = Release(environment="staging", model_version=sha256[:12], model_sha256=sha256,
                      data_md5="local", image="credit-scoring", image_digest=image["Id"],
                      source_commit="local")  # fmt: skip
    overlay.write(tmp, "staging", release)
    out = subprocess.run(["kubectl", "kustomize", str(tmp / "k8s/overlays/staging")],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return [d for d in yaml.safe_load_all(out) if d]


def get(url: str) -> int:
    """HTTP status of GET url (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def pod_of(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def rendered(
    image: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    sha = (image["Config"].get("Labels") or {}).get(LABEL_MODEL_SHA256, "")
    assert len(sha) == 64, f"{LOCAL_TAG} has no {LABEL_MODEL_SHA256} label"
    return render_staging(tmp_path_factory.mktemp("manifests"), image, sha)


def _busy(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def server(rendered: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], int, str | None]]:
    """Run the Deployment's container; yields (container, port, name when probed via exec)."""
    pod = pod_of(rendered, "Deployment", "credit-scoring")
    (container,) = pod["containers"]
    port = container["ports"][0]["containerPort"]
    args = docker_args(pod, container)
    name = f"gitops-manifest-{int(time.time() * 1000)}"
    inside = _busy(port)
    if inside:  # another server holds the host port: use a private loopback, probe from inside
        print(f"port {port} is busy on the host: running with --network none, probing via exec")
        args[args.index("host")] = "none"
    docker("run", "-d", "--rm", "--name", name, *args)
    try:
        yield container, port, name if inside else None
    finally:
        print(docker("logs", name, check=False).stderr[-2000:])
        docker("rm", "-f", name, check=False)


def probe(url: str, exec_in: str | None) -> int:
    """HTTP status of GET url, from the host or from inside the container."""
    if exec_in is None:
        return get(url)
    code = (
        "import sys,urllib.request as u\n"
        "try: print(u.urlopen(sys.argv[1], timeout=2).status)\nexcept Exception: print(0)"
    )
    out = docker("exec", exec_in, "python3", "-c", code, url, check=False).stdout.strip()
    return int(out) if out.isdigit() else 0


def test_deployment_runs_with_its_own_security_context_and_probes(
    server: tuple[dict[str, Any], int, str | None],
) -> None:
    container, port, exec_in = server
    ready = f"http://127.0.0.1:{port}{container['readinessProbe']['httpGet']['path']}"
    live = f"http://127.0.0.1:{port}{container['livenessProbe']['httpGet']['path']}"
    deadline = time.monotonic() + 60
    while probe(ready, exec_in) != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert probe(ready, exec_in) == 200, (
        f"{ready} never answered 200 under the manifest's securityContext"
    )
    assert probe(live, exec_in) == 200
    if exec_in is None:
        lines = check_url(f"http://127.0.0.1:{port}")  # the PostSync smoke test's client code
    else:
        smoke = docker(
            "exec",
            exec_in,
            "python3",
            "-m",
            "model.serving.selfcheck",
            "--url",
            f"http://127.0.0.1:{port}",
        )
        lines = smoke.stdout.splitlines()
    assert any("smoke predictions ok" in line for line in lines), lines


def test_presync_hook_accepts_the_pinned_model_and_refuses_another(
    rendered: list[dict[str, Any]], image: dict[str, Any]
) -> None:
    if docker("run", "--rm", "--network", "host", "--entrypoint", "python3", image["Id"], "-c",
              "import model.serving.selfcheck", check=False).returncode != 0:  # fmt: skip
        pytest.skip(
            f"{LOCAL_TAG} predates model/serving/selfcheck.py; rebuild it with `make image`"
        )
    pod = pod_of(rendered, "Job", "credit-scoring-selfcheck")
    (container,) = pod["containers"]
    good = docker("run", "--rm", *docker_args(pod, container), check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "model sha256 ok" in good.stdout
    wrong = {**container, "env": [{"name": "MODEL_SHA256", "value": "0" * 64}]}
    bad = docker("run", "--rm", *docker_args(pod, wrong), check=False)
    assert bad.returncode == 1 and "the manifest pins " + "0" * 64 in bad.stderr
