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
import yaml

from model import names
from tests.conftest import ROOT, run
from tests.e2e.test_container import Container, _docker, _free_port, image  # noqa: F401
from tests.moto_s3 import CREDENTIALS, client, serve_s3
from tests.unit.serving_helpers import contract_of, read_rows

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
BUCKET = "credit-scoring-samples"
# The Deployment's sampling patch: where the keys file is mounted and the env that names it.
SAMPLING_PATCH = ROOT / "k8s/components/sampling/credit-scoring-deployment-sampling.yaml"


class KeysFileContainer(Container):
    """The image run as the Deployment runs it: the bucket keys as a read-only mounted file."""

    def __init__(self, ref: str, env: dict[str, str], keys: Path, mount: str) -> None:
        self.docker = _docker()
        self.port = _free_port()
        cmd = [self.docker, "run", "-d", "--rm", *names.HARDENED_RUN_FLAGS,
               "-v", f"{keys}:{mount}:ro"]  # fmt: skip
        for key, value in env.items():
            cmd += ["-e", f"{key}={value}"]
        cmd += [ref, "--model-dir", names.IMAGE_MODEL_DIR, "--host", "127.0.0.1",
                "--port", str(self.port)]  # fmt: skip
        self.started = time.perf_counter()
        self.id = run(cmd, ROOT).stdout.strip()
        self.url = f"http://127.0.0.1:{self.port}"


def _keys_file_container(ref: str, env: dict[str, str], tmp: Path) -> Container:
    """Keys in an AWS credentials file at the manifest's path, none in the environment."""
    (container,) = yaml.safe_load(SAMPLING_PATCH.read_text())["spec"]["template"]["spec"][
        "containers"]  # fmt: skip
    declared = {e["name"]: e["value"] for e in container["env"]}
    (mount,) = container["volumeMounts"]
    path = Path(declared["AWS_SHARED_CREDENTIALS_FILE"])
    assert str(path.parent) == mount["mountPath"]
    keys = tmp / "keys"
    keys.mkdir(mode=0o755)
    (keys / path.name).write_text(
        f"[default]\naws_access_key_id = {CREDENTIALS['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {CREDENTIALS['AWS_SECRET_ACCESS_KEY']}\n"
    )
    (keys / path.name).chmod(0o644)  # readable by the image's non-root user
    keys.chmod(0o755)
    env = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    env |= {k: v for k, v in declared.items() if k.startswith("AWS_")}
    return KeysFileContainer(ref, env, keys, mount["mountPath"])


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


@pytest.mark.parametrize("keys", ["environment", "mounted file"])
def test_the_container_ships_samples_to_the_bucket(
    image: str,  # noqa: F811
    trained_workspace: Path,
    s3: str,
    keys: str,
    tmp_path: Path,
) -> None:
    models = trained_workspace / "models"
    rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))[:25]
    sha = (models / "model.sha256").read_text().strip()
    env = CREDENTIALS | {
        "MODEL_SHA256": sha,
        "AWS_ENDPOINT_URL": s3,
        "MODEL_SAMPLE_RATE": "1",
        "MODEL_SAMPLE_DIR": f"s3://{BUCKET}/{keys.replace(' ', '-')}",
        "MODEL_SAMPLE_MAX_BYTES": "1024",  # a few rows per file: rotation ships while serving
        "MODEL_SAMPLE_MAX_FILES": "64",
    }
    prefix = f"{keys.replace(' ', '-')}/"
    if keys == "environment":
        container = Container(image, env)
    else:
        container = _keys_file_container(image, env, tmp_path)
    try:
        container.wait_ready()
        for row in rows:
            reply = httpx.post(f"{container.url}/v1/predict", json={"instances": [row]}, timeout=5)
            assert reply.status_code == 200, reply.text
        deadline = time.monotonic() + 15
        while not _objects(s3, prefix) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _objects(s3, prefix), f"nothing shipped while serving:\n{container.logs()}"
    finally:
        logs = container.logs()
        container.stop()  # SIGTERM: the open file is closed and shipped
    shipped = _objects(s3, prefix)
    lines = [json.loads(line) for body in shipped.values() for line in body.splitlines()]
    assert len(lines) == len(rows), logs
    assert sorted(r["features"]["Seniority"] for r in lines) == sorted(r["Seniority"] for r in rows)
    assert "sampling disabled" not in logs and "sample upload failed" not in logs, logs
