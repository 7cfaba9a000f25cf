"""Sampled traffic reaches an S3 bucket (moto on 127.0.0.1) from a real `model serve` process.

The server ships through the stdlib S3 client, as in the serving image, which has no botocore:
here boto3 and botocore cannot be imported by the server at all. `model drift` reads the
shipped files back by s3:// URI. The request path only queues closed files; a dead or stalled
bucket costs samples (counted in model_sample_write_errors), never a request.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from model.serving.shipping import Shipper
from tests.loopback import wait_ready
from tests.moto_s3 import CREDENTIALS, client, serve_s3
from tests.unit.serving_helpers import SERVING_ENV, contract_of, read_rows

pytestmark = pytest.mark.e2e

SAMPLES_BUCKET = "credit-scoring-samples"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with serve_s3() as url:
        client(url).create_bucket(Bucket=SAMPLES_BUCKET)
        yield url


def _bucket_lines(url: str, prefix: str) -> tuple[list[str], list[dict]]:
    s3 = client(url)
    listed = s3.list_objects_v2(Bucket=SAMPLES_BUCKET, Prefix=prefix).get("Contents", [])
    keys = [o["Key"] for o in listed]
    lines = [
        json.loads(line)
        for key in keys
        for line in s3.get_object(Bucket=SAMPLES_BUCKET, Key=key)["Body"].read().splitlines()
    ]
    return keys, lines


def _without_boto(base: Path) -> Path:
    """A folder that, first on PYTHONPATH, makes `import boto3` / `import botocore` fail."""
    for name in ("boto3", "botocore"):
        (base / name).mkdir(parents=True, exist_ok=True)
        (base / name / "__init__.py").write_text(f"raise ImportError('{name} is not here')\n")
    return base


def _serve(models: Path, endpoint: str, uri: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVING_ENV}
    env |= CREDENTIALS | {
        "PYTHONPATH": str(_without_boto(tmp / "no-boto")),
        "AWS_ENDPOINT_URL": endpoint,
        "MODEL_SAMPLE_RATE": "1",
        "MODEL_SAMPLE_DIR": uri,
        "MODEL_SAMPLE_MAX_BYTES": "1024",  # a few rows per file: rotation ships while serving
        "MODEL_SAMPLE_MAX_FILES": "64",  # the upload queue: no drops at this test's pace
    }
    cmd = [sys.executable, "-m", "model.serving", "--model-dir", str(models), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return proc, url


def test_served_rows_land_in_the_bucket_while_serving_and_at_shutdown(
    trained_workspace: Path, s3: str, tmp_path: Path
) -> None:
    models = trained_workspace / "models"
    # drift needs 50 rows (monitoring.drift.MIN_ROWS)
    rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))[:60]
    proc, url = _serve(models, s3, f"s3://{SAMPLES_BUCKET}/traffic", tmp_path)
    try:
        for row in rows:
            assert httpx.post(f"{url}/v1/predict", json={"instances": [row]}).status_code == 200
        deadline = time.monotonic() + 10
        while not _bucket_lines(s3, "traffic/")[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        early, _ = _bucket_lines(s3, "traffic/")
        assert early, "expected rotated files in the bucket before shutdown"
    finally:
        proc.send_signal(signal.SIGTERM)  # shutdown ships the open file
        proc.wait(timeout=30)
    keys, lines = _bucket_lines(s3, "traffic/")
    assert all(k.startswith(f"traffic/{socket.gethostname()}/samples-") for k in keys)
    assert len(lines) == len(rows)
    assert sorted(r["features"]["Seniority"] for r in lines) == sorted(r["Seniority"] for r in rows)
    # `model drift` reads every pod's files back by URI (through s3fs, as the trainer image does)
    drift = subprocess.run(
        [sys.executable, "-m", "model", "drift", "--current", f"s3://{SAMPLES_BUCKET}/traffic",
         "--reference", str(trained_workspace / "artifacts" / "train.csv"),
         "--out", str(tmp_path / "drift"), "--onnx", str(tmp_path / "no-model.onnx")],
        env=os.environ | CREDENTIALS | {"AWS_ENDPOINT_URL": s3}, cwd=trained_workspace,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert drift.returncode in (0, 1), drift.stdout + drift.stderr
    assert json.loads((tmp_path / "drift" / "drift.json").read_text())["n_current"] == len(rows)


def test_a_dead_bucket_costs_samples_counted_never_requests(
    trained_workspace: Path, tmp_path: Path
) -> None:
    models = trained_workspace / "models"
    rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))[:30]
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens: every upload is refused
    proc, url = _serve(models, dead, f"s3://{SAMPLES_BUCKET}/traffic", tmp_path)
    try:
        for row in rows:
            assert httpx.post(f"{url}/v1/predict", json={"instances": [row]}).status_code == 200
        errors, deadline = 0.0, time.monotonic() + 60
        while errors == 0 and time.monotonic() < deadline:
            metrics = httpx.get(f"{url}/metrics").text
            found = [ln for ln in metrics.splitlines() if ln.startswith("model_sample_write_err")]
            errors = float(found[0].split()[-1]) if found else 0.0
            time.sleep(0.5)
        assert errors > 0, "expected failed uploads in model_sample_write_errors"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_a_stalled_bucket_never_blocks_ship_and_drops_are_counted(tmp_path: Path) -> None:
    import boto3
    from botocore.config import Config

    stall = socket.socket()  # accepts connections (the kernel backlog) and never answers
    stall.bind(("127.0.0.1", 0))
    stall.listen(16)
    endpoint = f"http://127.0.0.1:{stall.getsockname()[1]}"
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(read_timeout=30, retries={"max_attempts": 1}),
    )  # fmt: skip
    drops: list[int] = []
    shipper = Shipper("s3://b/p", on_error=lambda: drops.append(1), max_queued=2, client=s3)
    files = []
    for i in range(6):
        f = tmp_path / f"samples-{i}.jsonl"
        f.write_text('{"ts": 0}\n')
        files.append(f)
    started = time.perf_counter()
    for f in files:  # one in flight (stalled), two queued, the rest dropped at once
        shipper.ship(f)
        time.sleep(0.05)  # lets the thread take the first file off the queue
    elapsed = time.perf_counter() - started - 6 * 0.05
    assert elapsed < 0.1, f"ship() waited {elapsed:.3f} s on a stalled bucket"
    assert len(drops) == 3
    assert sum(f.exists() for f in files) == 3  # dropped files are deleted, not kept forever
    stall.close()
