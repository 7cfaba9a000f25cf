"""A crashed server loses at most the documented second of drift samples (a real process)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from model.serving.sampling import FLUSH_SECONDS
from tests.loopback import wait_ready
from tests.unit.serving_helpers import SERVING_ENV, contract_of, read_rows

pytestmark = [pytest.mark.e2e, pytest.mark.security]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_samples_reach_disk_within_a_second_of_an_idle_spell(
    trained_workspace: Path, tmp_path: Path
) -> None:
    models = trained_workspace / "models"
    samples = tmp_path / "samples"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVING_ENV}
    env |= {"MODEL_SAMPLE_RATE": "1", "MODEL_SAMPLE_DIR": str(samples)}
    cmd = [sys.executable, "-m", "model.serving", "--model-dir", str(models), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))
        for row in rows[:3]:  # the first is written at once, the others are buffered
            assert httpx.post(f"{url}/v1/predict", json={"instances": [row]}).status_code == 200
        time.sleep(FLUSH_SECONDS + 0.6)  # no more traffic: only a timer can write them
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: no shutdown hook runs
        proc.wait(timeout=10)
    lines = [
        json.loads(x) for f in samples.glob("samples-*.jsonl") for x in f.read_text().splitlines()
    ]
    assert len(lines) == 3
