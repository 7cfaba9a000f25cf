"""The new-data trigger's steps against a bucket (moto on 127.0.0.1): scan, then mark.

`model workflows scan` names the oldest snapshot without a marker, `model workflows mark`
writes the marker after the submit step; snapshots come out one per scan, oldest first.
"""

from __future__ import annotations

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
PREFIX = f"s3://{BUCKET}/snapshots"


def _model(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | CREDENTIALS | {"AWS_ENDPOINT_URL": url}
    cmd = [sys.executable, "-m", "model", "workflows", *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)


def _scan(url: str, out: Path) -> str:
    done = _model(url, "scan", "--snapshots", PREFIX, "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out.read_text()


def test_snapshots_are_submitted_once_each_oldest_first(tmp_path: Path) -> None:
    with serve_s3() as url:
        s3 = client(url)
        s3.create_bucket(Bucket=BUCKET)
        out = tmp_path / "snapshot"
        assert _scan(url, out) == ""  # an empty prefix: nothing to do, not an error
        s3.put_object(Bucket=BUCKET, Key="snapshots/2026-11.csv", Body=b"a\n")
        time.sleep(1.1)  # S3 times have one-second resolution
        s3.put_object(Bucket=BUCKET, Key="snapshots/2026-10-late.csv", Body=b"a\n")
        s3.put_object(Bucket=BUCKET, Key="snapshots/readme.txt", Body=b"not a snapshot")
        seen = []
        for _ in range(3):
            found = _scan(url, out)
            seen.append(found)
            if found:
                done = _model(url, "mark", "--snapshot", found)
                assert done.returncode == 0, done.stdout + done.stderr
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert seen == [f"{PREFIX}/2026-11.csv", f"{PREFIX}/2026-10-late.csv", ""]
    assert "snapshots/2026-11.csv.submitted" in keys


def test_an_unreachable_bucket_fails_the_step(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = _model(dead, "scan", "--snapshots", PREFIX, "--out", str(tmp_path / "s"))
    assert done.returncode == 1 and "cannot list" in done.stdout + done.stderr
