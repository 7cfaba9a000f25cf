"""`model retrain --snapshot s3://…` reads the snapshot from a bucket (dvc-s3 against moto).

The same checks as a local snapshot: contract violations are refused before any change, and
a snapshot equal to the pinned data is "unchanged". (The full retrain from a bucket runs in
the demo's retrain-loop step.)
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from model.core.dataset import packaged_bytes, to_csv_bytes
from tests.conftest import clone, run
from tests.moto_s3 import CREDENTIALS, client, serve_s3

pytestmark = pytest.mark.e2e

BUCKET = "credit-scoring-data"


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    with serve_s3() as url:
        client(url).create_bucket(Bucket=BUCKET)
        yield CREDENTIALS | {"AWS_ENDPOINT_URL": url}


@pytest.fixture
def ws(origin: Path, dvc_remote: Path, tmp_path: Path) -> Path:
    return clone(origin, tmp_path / "ws", dvc_remote)


def _put(env: dict[str, str], key: str, body: bytes) -> str:
    client(env["AWS_ENDPOINT_URL"]).put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def test_a_snapshot_equal_to_the_pinned_data_is_unchanged(s3: dict[str, str], ws: Path) -> None:
    uri = _put(s3, "snapshots/same.csv", packaged_bytes())
    proc = run(["model", "retrain", "--snapshot", uri, "--no-push"], ws, env=s3)
    assert "nothing to retrain" in " ".join(proc.stdout.split())
    assert run(["git", "status", "--porcelain", "--", "dvc.lock", "data.dvc"], ws).stdout == ""


def test_a_bad_snapshot_in_the_bucket_is_refused_before_any_change(
    s3: dict[str, str], ws: Path
) -> None:
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    uri = _put(s3, "snapshots/bad.csv", to_csv_bytes(raw.assign(Age=raw["Age"] + 200)))
    proc = run(["model", "retrain", "--snapshot", uri, "--no-push"], ws, env=s3, check=False)
    said = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, said  # the exit code is the CLI's (being unified)
    assert "breaks the data contract" in said and uri in said
    assert run(["git", "status", "--porcelain", "--", "dvc.lock", "data.dvc"], ws).stdout == ""


def test_a_missing_object_names_the_uri(s3: dict[str, str], ws: Path) -> None:
    uri = f"s3://{BUCKET}/snapshots/never-uploaded.csv"
    proc = run(["model", "retrain", "--snapshot", uri, "--no-push"], ws, env=s3, check=False)
    said = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0 and "snapshot" in said and uri in said
