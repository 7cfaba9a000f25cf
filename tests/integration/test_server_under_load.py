"""A real server process on loopback: liveness during 10k-row batches, clients gone mid-body.

The kubelet restarts a pod whose /v2/health/live misses the probe's timeoutSeconds (read
from the Deployment manifest here), so a batch at the row limit must not starve liveness.
A client that hangs up mid-body must cost a counted 499 and give its buffered bytes back.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from model.serving.limits import DEFAULT_MAX_ROWS
from tests.conftest import ROOT
from tests.loopback import counted, server_process
from tests.unit.serving_helpers import contract_of, read_rows, serving_env
from tests.unit.tiny_model import TinyModel

DEPLOYMENT = ROOT / "k8s" / "base" / "credit-scoring-deployment.yaml"
KIB = 1 << 10


def liveness_timeout_s() -> float:
    """The livenessProbe timeoutSeconds the Deployment gives the server container."""
    spec = yaml.safe_load(DEPLOYMENT.read_text())["spec"]["template"]["spec"]
    probe = next(c["livenessProbe"] for c in spec["containers"] if "livenessProbe" in c)
    return float(probe.get("timeoutSeconds", 1))  # Kubernetes' default is 1 s


@contextmanager
def serving(models: Path, **env: str) -> Iterator[str]:
    """`python -m model.serving` on a free port with `env`; yield its URL, stop it after."""
    cmd = [sys.executable, "-m", "model.serving", "--model-dir", str(models)]
    with server_process(cmd, serving_env(**env), timeout=60) as server:
        yield server.url


def test_liveness_answers_within_the_probe_timeout_during_10k_row_batches(
    tiny_model: TinyModel,
) -> None:
    rows = read_rows(tiny_model.test_csv, contract_of(tiny_model.models))
    batch = {"instances": (rows * (DEFAULT_MAX_ROWS // len(rows) + 1))[:DEFAULT_MAX_ROWS]}
    limit = liveness_timeout_s()
    replies: list[tuple[int, float]] = []
    done = threading.Event()
    with serving(tiny_model.models) as url:

        def post_batches() -> None:
            try:
                for _ in range(3):
                    start = time.monotonic()
                    reply = httpx.post(f"{url}/v1/predict", json=batch, timeout=120)
                    replies.append((reply.status_code, time.monotonic() - start))
            finally:
                done.set()

        worker = threading.Thread(target=post_batches)
        worker.start()
        waits: list[float] = []
        try:
            while not done.is_set():
                start = time.monotonic()
                try:
                    live = httpx.get(f"{url}/v2/health/live", timeout=limit)
                except httpx.TimeoutException:
                    live = None
                waits.append(time.monotonic() - start)
                assert live is not None and live.status_code == 200, (
                    f"/v2/health/live did not answer 200 within the probe's {limit:.0f} s "
                    f"while a {DEFAULT_MAX_ROWS}-row batch was scored"
                )
                time.sleep(0.05)
        finally:
            worker.join(timeout=300)
    assert [s for s, _ in replies] == [200, 200, 200], replies
    assert len(waits) >= 3, f"only {len(waits)} liveness probes overlapped the batches"
    assert max(waits) < limit, (max(waits), [round(t, 2) for _, t in replies])


def _hang_up_mid_body(url: str, announced: int, sent: int) -> None:
    """Announce `announced` body bytes, send `sent` of them, then close the connection."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % announced
        )
        sock.sendall(b" " * sent)
        time.sleep(0.1)  # let the server buffer what arrived before the hang-up


def test_a_client_gone_mid_body_is_counted_and_gives_its_bytes_back(
    tiny_model: TinyModel,
) -> None:
    budget = 1024 * KIB  # all bodies in flight together; a leak fills it after two hang-ups
    rows: list[dict[str, Any]] = read_rows(tiny_model.test_csv, contract_of(tiny_model.models))
    with serving(tiny_model.models, MODEL_MAX_BUFFERED_BYTES=str(budget)) as url:
        before = counted(url, 499)
        for _ in range(8):  # 8 x 512 KiB offered: four times the budget
            _hang_up_mid_body(url, announced=900 * KIB, sent=512 * KIB)
        deadline = time.monotonic() + 10
        while counted(url, 499) < before + 8 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert counted(url, 499) == before + 8, "each hang-up is one counted 499"
        reply = httpx.post(f"{url}/v1/predict", json={"instances": rows[:50]}, timeout=30)
        assert reply.status_code == 200, f"the budget was not given back: {reply.text}"
        assert httpx.get(f"{url}/v2/health/live", timeout=5).status_code == 200
