"""The serving image ships sampled rows to a bucket from inside the container (moto on 127.0.0.1).

The image has no botocore (the `serve` extra only); the stdlib S3 client in model/s3client.py
signs the uploads. The container runs hardened (read-only root, non-root, no capabilities)
with `--network host`, so moto's loopback port is the bucket's endpoint.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_container import Container, _docker, image  # noqa: F401  # the fixture
from tests.moto_s3 import CREDENTIALS, client, serve_s3
from tests.unit.serving_helpers import contract_of, read_rows

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
BUCKET = "credit-scoring-samples"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with serve_s3() as url:
        client(url).create_bucket(Bucket=BUCKET)
        yield url


def _objects(url: str, prefix: str) -> dict[str, bytes]:
    s3 = client(url)
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def test_the_image_has_no_botocore(image: str) -> None:  # noqa: F811
    check = "import importlib.util as u; print(u.find_spec('botocore') is None)"
    probe = [_docker(), "run", "--rm", "--network", "host", "--entrypoint", "python3", image,
             "-c", check]  # fmt: skip
    found = subprocess.run(probe, capture_output=True, text=True, timeout=120)
    assert found.stdout.strip() == "True", found.stdout + found.stderr


def test_the_container_ships_samples_to_the_bucket(
    image: str,  # noqa: F811
    trained_workspace: Path,
    s3: str,
) -> None:
    models = trained_workspace / "models"
    rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))[:25]
    sha = (models / "model.sha256").read_text().strip()
    env = CREDENTIALS | {
        "MODEL_SHA256": sha,
        "AWS_ENDPOINT_URL": s3,
        "MODEL_SAMPLE_RATE": "1",
        "MODEL_SAMPLE_DIR": f"s3://{BUCKET}/image",
        "MODEL_SAMPLE_MAX_BYTES": "1024",  # a few rows per file: rotation ships while serving
        "MODEL_SAMPLE_MAX_FILES": "64",
    }
    container = Container(image, env)
    try:
        container.wait_ready()
        for row in rows:
            reply = httpx.post(f"{container.url}/v1/predict", json={"instances": [row]}, timeout=5)
            assert reply.status_code == 200, reply.text
        deadline = time.monotonic() + 15
        while not _objects(s3, "image/") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _objects(s3, "image/"), f"nothing shipped while serving:\n{container.logs()}"
    finally:
        logs = container.logs()
        container.stop()  # SIGTERM: the open file is closed and shipped
    shipped = _objects(s3, "image/")
    lines = [json.loads(line) for body in shipped.values() for line in body.splitlines()]
    assert len(lines) == len(rows), logs
    assert sorted(r["features"]["Seniority"] for r in lines) == sorted(r["Seniority"] for r in rows)
    assert "sampling disabled" not in logs and "sample upload failed" not in logs, logs
