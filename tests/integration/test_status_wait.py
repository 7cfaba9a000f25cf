"""`model status ENV --wait N` against a Kubernetes API on loopback that converges late.

The fake API answers the three reads `model status` makes (Deployment, its pods, the Argo CD
Application) with what the overlay pins; the Application reports OutOfSync/Progressing for
its first reads. The real CLI, kubeconfig and kubernetes client run in a subprocess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from model.gitops import overlay
from tests.conftest import ROOT, VENV_BIN, run
from tests.loopback import send_json, serve_handler

ENV = "staging"
NS = f"credit-scoring-{ENV}"
POLL_S = 1  # --poll: the command reads every second (its default is 5)


class FakeCluster:
    """Live state as the API serves it; `synced_after` Application reads are OutOfSync first."""

    def __init__(self, desired: overlay.OverlayState, synced_after: int | None) -> None:
        self.desired, self.synced_after = desired, synced_after
        self.app_reads = 0
        self.lock = threading.Lock()

    def application(self) -> dict:
        with self.lock:
            self.app_reads += 1
            done = self.synced_after is not None and self.app_reads > self.synced_after
        sync, health = ("Synced", "Healthy") if done else ("OutOfSync", "Progressing")
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                "metadata": {"name": f"credit-scoring-{ENV}", "namespace": "argocd"},
                "status": {"sync": {"status": sync, "revision": "a" * 40},
                           "health": {"status": health}}}  # fmt: skip

    def deployment(self) -> dict:
        image = f"{self.desired.image}@{self.desired.digest}"
        container = {
            "name": "server",
            "image": image,
            "env": [{"name": overlay.SHA_ENV, "value": self.desired.model_sha256}],
        }
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "credit-scoring", "namespace": NS},
                "spec": {"selector": {"matchLabels": {"app": "credit-scoring"}},
                         "template": {"metadata": {"labels": {"app": "credit-scoring"}},
                                      "spec": {"containers": [container]}}}}  # fmt: skip

    def pods(self) -> dict:
        status = {
            "name": "server",
            "image": self.desired.image,
            "ready": True,
            "restartCount": 0,
            "imageID": f"{self.desired.image}@{self.desired.digest}",
        }
        pod = {"metadata": {"name": "credit-scoring-0", "namespace": NS},
               "spec": {"containers": [{"name": "server", "image": self.desired.image}]},
               "status": {"containerStatuses": [status]}}  # fmt: skip
        return {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [pod]}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        routes = {
            f"/apis/apps/v1/namespaces/{NS}/deployments/credit-scoring": self.deployment,
            f"/api/v1/namespaces/{NS}/pods": self.pods,
            f"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/credit-scoring-{ENV}":
                self.application,
        }  # fmt: skip

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = routes.get(self.path.split("?")[0])
                payload = found() if found else {"kind": "Status", "code": 404}
                send_json(self, 200 if found else 404, payload)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree holding the project's overlays (the desired state)."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "k8s", work / "k8s")
    run(["git", "init", "-q", "-b", "main"], work)
    return work


@pytest.fixture
def cluster(repo: Path, request: pytest.FixtureRequest) -> Iterator[tuple[FakeCluster, Path]]:
    """The fake API on loopback and a kubeconfig pointing at it."""
    fake = FakeCluster(overlay.read(repo, ENV), request.param)
    with serve_handler(fake.handler()) as url:
        kubeconfig = repo.parent / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": url}}],
            "users": [{"name": "fake", "user": {"token": "not-a-secret"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
        }))  # fmt: skip
        yield fake, kubeconfig


def status(repo: Path, kubeconfig: Path, wait: int) -> tuple[subprocess.CompletedProcess, float]:
    """Run `model status staging --wait N --poll POLL_S` and time it."""
    start = time.monotonic()
    proc = run([str(VENV_BIN / "model"), "status", ENV, "--wait", str(wait), "--poll", str(POLL_S),
                "--repo", str(repo)],
               repo, check=False, env={"KUBECONFIG": str(kubeconfig)}, timeout=120)  # fmt: skip
    return proc, time.monotonic() - start


@pytest.mark.parametrize("cluster", [2], indirect=True)
def test_wait_polls_until_argo_cd_converges(cluster: tuple[FakeCluster, Path], repo: Path) -> None:
    fake, kubeconfig = cluster
    proc, _ = status(repo, kubeconfig, wait=60)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert fake.app_reads == 3, f"expected two OutOfSync polls then Synced; read {fake.app_reads}"
    assert "Synced/Healthy" in output and f"{ENV} runs exactly what Git pins" in output


@pytest.mark.parametrize("cluster", [None], indirect=True)
def test_wait_gives_up_at_the_deadline_and_names_the_state(
    cluster: tuple[FakeCluster, Path], repo: Path
) -> None:
    fake, kubeconfig = cluster
    proc, elapsed = status(repo, kubeconfig, wait=POLL_S + 1)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "OutOfSync/Progressing, expected Synced/Healthy" in output
    assert fake.app_reads >= 2 and elapsed >= POLL_S + 1, (fake.app_reads, elapsed)


@pytest.mark.parametrize("cluster", [2], indirect=True)
def test_without_wait_one_read_decides(cluster: tuple[FakeCluster, Path], repo: Path) -> None:
    fake, kubeconfig = cluster
    proc, _ = status(repo, kubeconfig, wait=0)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert fake.app_reads == 1
