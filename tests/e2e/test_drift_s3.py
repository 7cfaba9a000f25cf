"""`model drift --current s3://…` reads every pod's sampled log from a bucket (moto on loopback).

The verdict must equal the one from the same files in a local directory, and a shift must be
found through the bucket exactly as it is locally.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.core.dataset import packaged_bytes
from model.core.schema import CREDIT_CONTRACT
from tests.conftest import ROOT
from tests.moto_s3 import CREDENTIALS, client, serve_s3

pytestmark = pytest.mark.e2e

BUCKET = "credit-scoring-samples"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with serve_s3() as url:
        client(url).create_bucket(Bucket=BUCKET)
        yield url


def _jsonl(frame: pd.DataFrame) -> bytes:
    feats = frame[CREDIT_CONTRACT.feature_names].astype(object).where(frame.notna(), None)
    return b"".join(
        json.dumps({"ts": 1.7e9, "features": row}).encode() + b"\n"
        for row in feats.to_dict(orient="records")
    )


def _upload(url: str, prefix: str, frame: pd.DataFrame, local: Path) -> None:
    """Two pods' folders in the bucket, and the same files flat in `local`."""
    local.mkdir(parents=True)
    half = len(frame) // 2
    for i, (pod, part) in enumerate((("pod-a", frame[:half]), ("pod-b", frame[half:]))):
        name = f"samples-{i:020d}-1.jsonl"
        body = _jsonl(part)
        client(url).put_object(Bucket=BUCKET, Key=f"{prefix}/{pod}/{name}", Body=body)
        (local / name).write_bytes(body)
    client(url).put_object(Bucket=BUCKET, Key=f"{prefix}/pod-a/notes.txt", Body=b"not a sample")


def _drift(url: str, current: str, out: Path, reference: Path) -> tuple[int, dict]:
    env = os.environ | CREDENTIALS | {"AWS_ENDPOINT_URL": url}
    cmd = [sys.executable, "-m", "model", "drift", "--reference", str(reference),
           "--current", current, "--out", str(out), "--onnx", str(out / "none.onnx")]  # fmt: skip
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, json.loads((out / "drift.json").read_text())


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    idx = np.random.default_rng(7).permutation(len(raw))
    ref = tmp_path_factory.mktemp("ref") / "reference.csv"
    raw.iloc[idx[: len(raw) // 2]].to_csv(ref, index=False)
    return ref, raw.iloc[idx[len(raw) // 2 :]].reset_index(drop=True)


def test_bucket_and_directory_give_the_same_report(
    s3: str, halves: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    ref, cur = halves
    _upload(s3, "same", cur, tmp_path / "local")
    code_s3, from_s3 = _drift(s3, f"s3://{BUCKET}/same", tmp_path / "s3", ref)
    code_dir, from_dir = _drift(s3, str(tmp_path / "local"), tmp_path / "dir", ref)
    assert (code_s3, from_s3) == (code_dir, from_dir)
    assert from_s3["n_current"] == len(cur) and code_s3 == 0


def test_a_shift_in_the_bucket_is_found(
    s3: str, halves: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    ref, cur = halves
    moved = cur.assign(Income=cur["Income"] * 1.6, Age=cur["Age"] + 12)
    _upload(s3, "moved", moved, tmp_path / "local")
    code, report = _drift(s3, f"s3://{BUCKET}/moved", tmp_path / "s3", ref)
    assert code == 1 and {"Income", "Age"} <= set(report["drifted_columns"])


def test_an_empty_prefix_is_a_usage_error_that_says_what_to_check(
    s3: str, halves: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    env = os.environ | CREDENTIALS | {"AWS_ENDPOINT_URL": s3}
    cmd = [sys.executable, "-m", "model", "drift", "--reference", str(halves[0]),
           "--current", f"s3://{BUCKET}/nothing-here", "--out", str(tmp_path)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "MODEL_SAMPLE_DIR" in proc.stdout + proc.stderr
