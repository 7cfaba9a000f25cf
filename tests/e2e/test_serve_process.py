"""`model serve` as a real process on loopback: ready, scores, flushes samples, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.loopback import wait_ready
from tests.unit.serving_helpers import SERVING_ENV, contract_of, read_rows

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_model_serve_process(trained_workspace: Path, tmp_path: Path) -> None:
    models = trained_workspace / "models"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVING_ENV}
    env |= {"MODEL_SAMPLE_RATE": "1", "MODEL_SAMPLE_DIR": str(tmp_path / "samples")}
    cmd = [
        str(Path(sys.executable).parent / "model"),
        "serve",
        "--model-dir",
        str(models),
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))[:3]
        reply = httpx.post(f"{url}/v1/predict", json={"instances": rows}, timeout=10)
        assert reply.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    # uvicorn finishes the graceful shutdown, then re-raises SIGTERM for the parent to see
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "ready (sha256" in output
    lines = [
        json.loads(x)
        for f in (tmp_path / "samples").glob("samples-*.jsonl")
        for x in f.read_text().splitlines()
    ]
    assert len(lines) == 3  # buffered lines are written on shutdown
