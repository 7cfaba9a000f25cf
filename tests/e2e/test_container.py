"""The serving image under a real Docker engine: read-only, non-root, no capabilities.

Builds the image from a trained clone, scores the whole test split over HTTP and compares
with the offline predictions, and checks that a tampered model never becomes ready.
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from model import names
from tests.conftest import ROOT, expected_test_rows, run
from tests.tools import docker_engine
from tests.unit.serving_helpers import contract_of, read_rows

if TYPE_CHECKING:
    from filelock import BaseFileLock

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
LOCAL_BASE = "local/python:3.11-bookworm"
PULLED_BASE = "python:3.11-slim-bookworm"
UID = names.RUNTIME_UID


def _docker() -> str:
    """The engine's client, or skip with the reason."""
    return docker_engine()


def _base_image(lock: BaseFileLock) -> str:
    """The debootstrap base when it exists or can be built here, else the official slim image."""
    with lock:  # another xdist worker may be building it right now
        built = run([str(ROOT / "scripts" / "base-image.sh")], ROOT, check=False, timeout=900)
    return LOCAL_BASE if built.returncode == 0 else PULLED_BASE


@pytest.fixture(scope="module")
def image(trained_workspace: Path, base_image_lock: BaseFileLock) -> Iterator[str]:
    docker = _docker()
    tag = f"{names.IMAGE_NAME}:e2e-{uuid.uuid4().hex[:8]}"
    pinned = (trained_workspace / "models" / "model.sha256").read_text().strip()
    args = {
        "BASE_IMAGE": _base_image(base_image_lock),
        "REVISION": "e2e",
        "SOURCE": "file://origin",
        "MODEL_VERSION": pinned[:12],
        "MODEL_SHA256": pinned,
        "DATA_MD5": "e2e",
    }
    build = [docker, "build", "--network", "host", "--target", "runtime", "-t", tag, "."]
    for key, value in args.items():
        build[2:2] = ["--build-arg", f"{key}={value}"]
    run(build, trained_workspace, env={"DOCKER_BUILDKIT": "1"}, timeout=1800)
    yield tag
    subprocess.run([docker, "rmi", "-f", tag], capture_output=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Container:
    """One hardened `docker run` of the image on a loopback port."""

    def __init__(self, image: str, env: dict[str, str], volume: Path | None = None) -> None:
        self.docker = _docker()
        self.port = _free_port()
        cmd = [self.docker, "run", "-d", "--rm", *names.HARDENED_RUN_FLAGS]
        for key, value in env.items():
            cmd += ["-e", f"{key}={value}"]
        if volume is not None:
            cmd += ["-v", f"{volume}:{names.IMAGE_MODEL_DIR}:ro"]
        cmd += [
            image,
            "--model-dir",
            names.IMAGE_MODEL_DIR,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.started = time.perf_counter()
        self.id = run(cmd, ROOT).stdout.strip()
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_live(self, timeout: float = 30) -> None:
        """Until /v2/health/live answers."""
        self._wait("/v2/health/live", timeout)

    def wait_ready(self, timeout: float = 30) -> float:
        """Until /v2/health/ready is 200; returns seconds since `docker run`."""
        self._wait("/v2/health/ready", timeout)
        return time.perf_counter() - self.started

    def _wait(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{path} not 200 after {timeout}s; logs:\n{self.logs()}")

    def logs(self) -> str:
        """stdout + stderr so far."""
        proc = subprocess.run(
            [self.docker, "logs", self.id], capture_output=True, text=True, timeout=30
        )
        return proc.stdout + proc.stderr

    def stop(self) -> None:
        """Stop (and, with --rm, remove) the container."""
        subprocess.run([self.docker, "stop", "-t", "3", self.id], capture_output=True, timeout=60)


def test_image_is_hardened_and_labelled(image: str, trained_workspace: Path) -> None:
    docker = _docker()
    config = json.loads(run([docker, "image", "inspect", image], ROOT).stdout)[0]["Config"]
    sha = (trained_workspace / "models" / "model.sha256").read_text().strip()
    assert config["User"] == UID
    assert config.get("Healthcheck") is None
    assert "/tmp" in (config.get("Volumes") or {})
    labels = config["Labels"]
    assert labels[names.LABEL_MODEL_SHA256] == sha and labels[names.LABEL_REVISION] == "e2e"
    assert {names.LABEL_SOURCE, names.LABEL_MODEL_VERSION, names.LABEL_DATA_MD5} <= set(labels)


def test_container_scores_test_split_like_offline(image: str, trained_workspace: Path) -> None:
    models = trained_workspace / "models"
    sha = (models / "model.sha256").read_text().strip()
    container = Container(image, {"MODEL_SHA256": sha})
    try:
        seconds = container.wait_ready()
        print(f"container cold start, docker run -> ready: {seconds:.2f}s")
        rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))
        reply = httpx.post(f"{container.url}/v1/predict", json={"instances": rows}, timeout=30)
        assert reply.status_code == 200, reply.text
        served = reply.json()["predictions"]
        info = httpx.get(f"{container.url}/model", timeout=5).json()
    finally:
        container.stop()
    with (trained_workspace / "reports" / "predictions.csv").open(newline="") as fh:
        offline = list(csv.DictReader(fh))
    raw = trained_workspace / "data" / "credit_data.csv"
    assert len(served) == len(offline) == expected_test_rows(raw, trained_workspace / "params.yaml")
    for got, want in zip(served, offline, strict=True):
        assert abs(got["probability"] - float(want["proba"])) <= 1e-5
        assert (got["label"] == "bad") == (want["y_pred"] == "1")
    assert info["model_sha256"] == sha and info["sha256_verified_against"] == "MODEL_SHA256"


def _assert_never_ready(container: Container) -> None:
    try:
        container.wait_live()
        time.sleep(2)  # well past the ~0.5 s a good model takes to become ready
        ready = httpx.get(f"{container.url}/v2/health/ready", timeout=5)
        scored = httpx.post(f"{container.url}/v1/predict", json={"instances": [{}]}, timeout=5)
        logs = container.logs()
    finally:
        container.stop()
    assert ready.status_code == 503 and scored.status_code == 503
    failures = [line for line in logs.splitlines() if "integrity check failed" in line]
    assert len(failures) == 1, logs


def test_one_flipped_byte_never_becomes_ready(
    image: str, trained_workspace: Path, tmp_path: Path
) -> None:
    tampered = tmp_path / "models"
    shutil.copytree(trained_workspace / "models", tampered)
    data = bytearray((tampered / "model.onnx").read_bytes())
    data[len(data) // 3] ^= 0x01
    (tampered / "model.onnx").write_bytes(bytes(data))
    tampered.chmod(0o755)  # readable by the container's non-root user
    for path in tampered.iterdir():
        path.chmod(0o644)
    sha = (trained_workspace / "models" / "model.sha256").read_text().strip()
    _assert_never_ready(Container(image, {"MODEL_SHA256": sha}, volume=tampered))


def test_wrong_pinned_digest_never_becomes_ready(image: str) -> None:
    _assert_never_ready(Container(image, {"MODEL_SHA256": "f" * 64}))
