"""`model fleet new-data` against a bucket (moto on 127.0.0.1): the fan-out's list, per model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.moto_s3 import CREDENTIALS, client, serve_s3

pytestmark = pytest.mark.e2e

BUCKET = "credit-scoring-data"
PREFIX = f"s3://{BUCKET}/fleet"


def _model(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | CREDENTIALS | {"AWS_ENDPOINT_URL": url}
    cmd = [sys.executable, "-m", "model", *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)


def _due(url: str, out: Path) -> list[dict[str, str]]:
    done = _model(url, "fleet", "new-data", "--snapshots", PREFIX, "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text())


def test_each_model_with_new_data_is_listed_once_oldest_first(tmp_path: Path) -> None:
    out = tmp_path / "models.json"
    with serve_s3() as url:
        s3 = client(url)
        s3.create_bucket(Bucket=BUCKET)
        assert _due(url, out) == []  # nothing landed yet: an empty fan-out, not an error
        s3.put_object(Bucket=BUCKET, Key="fleet/churn/2026-11.csv", Body=b"a\n")
        time.sleep(1.1)  # S3 times have one-second resolution
        for key in ("fleet/churn/2026-12.csv", "fleet/loan-default/2026-11.csv",
                    "fleet/Bad_Name/x.csv", "fleet/telco-408/notes.txt"):  # fmt: skip
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"a\n")
        assert _due(url, out) == [
            {"model": "churn", "snapshot": f"{PREFIX}/churn/2026-11.csv"},
            {"model": "loan-default", "snapshot": f"{PREFIX}/loan-default/2026-11.csv"},
        ]  # Bad_Name is no model name; telco-408 has no snapshot
        done = _model(url, "workflows", "mark", "--snapshot", f"{PREFIX}/churn/2026-11.csv")
        assert done.returncode == 0, done.stdout + done.stderr
        assert _due(url, out)[0] == {"model": "churn", "snapshot": f"{PREFIX}/churn/2026-12.csv"}


def test_an_unreachable_bucket_fails_the_step(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = _model(dead, "fleet", "new-data", "--snapshots", PREFIX, "--out", str(tmp_path / "m"))
    assert done.returncode == 1 and "cannot list" in done.stdout + done.stderr
    assert not (tmp_path / "m").exists()
