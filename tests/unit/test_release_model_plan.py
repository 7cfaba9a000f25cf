"""The pure half of `model release-model` and `model remote-status`: lock, md5s, wording."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from model.review.release_model import (
    LockError,
    Mismatch,
    NotReproducible,
    Output,
    RemoteStatus,
    describe,
    mismatches,
    not_reproducible_message,
    pinned_outputs,
    read_outputs,
)

pytestmark = pytest.mark.unit

ONNX, JSON = Output("models/model.onnx", "a" * 32), Output("models/model.json", "b" * 32)


def _lock(*outs: dict[str, object]) -> dict[str, object]:
    return {"schema": "2.0", "stages": {"prepare": {"outs": []}, "train": {"outs": list(outs)}}}


def test_pinned_outputs_reads_each_train_output_and_its_md5() -> None:
    lock = _lock({"path": ONNX.path, "hash": "md5", "md5": ONNX.md5, "size": 3},
                 {"path": JSON.path, "hash": "md5", "md5": JSON.md5, "size": 2})  # fmt: skip
    assert pinned_outputs(lock) == (ONNX, JSON)


@pytest.mark.parametrize(
    "lock",
    [{}, {"stages": {}}, {"stages": {"train": {"outs": []}}}, _lock({"path": ONNX.path})],
    ids=["empty", "no-stages", "no-outs", "no-md5"],
)
def test_a_lock_without_train_md5s_is_a_usage_error(lock: dict[str, object]) -> None:
    with pytest.raises(LockError, match=r"dvc\.lock") as err:
        pinned_outputs(lock)
    assert err.value.exit_code == 2  # usage or input error: nothing was changed


def test_read_outputs_names_a_missing_lock(tmp_path: Path) -> None:
    with pytest.raises(LockError, match=r"expected .*dvc\.lock; found none"):
        read_outputs(tmp_path)


def test_read_outputs_parses_the_file(tmp_path: Path) -> None:
    lock = _lock({"path": ONNX.path, "md5": ONNX.md5})
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(lock))
    assert read_outputs(tmp_path) == (ONNX,)


def test_mismatches_names_absent_and_differing_files_only(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    good, bad = b"onnx bytes", b"other bytes"
    (tmp_path / "models/model.onnx").write_bytes(good)
    (tmp_path / "models/model.json").write_bytes(bad)
    pinned = Output("models/model.onnx", hashlib.md5(good, usedforsecurity=False).hexdigest())
    absent = Output("models/model.skops", "c" * 32)
    found = mismatches(tmp_path, (pinned, JSON, absent))
    bad_md5 = hashlib.md5(bad, usedforsecurity=False).hexdigest()
    assert found == (Mismatch(JSON, bad_md5), Mismatch(absent, None))


def test_not_reproducible_names_each_file_and_both_md5s() -> None:
    text = not_reproducible_message((Mismatch(ONNX, "d" * 32), Mismatch(JSON, None)))
    assert f"{ONNX.path}: dvc.lock pins {ONNX.md5}, rebuilt {'d' * 32}" in text
    assert f"{JSON.path}: dvc.lock pins {JSON.md5}, rebuilt nothing" in text
    assert "not reproducible" in text and "nothing was pushed" in text
    assert NotReproducible(text).exit_code == 1  # a check ran and said no


def test_remote_status_states_and_their_lines() -> None:
    held = RemoteStatus("s3", (ONNX, JSON), ())
    missing = RemoteStatus("s3", (JSON,), (ONNX,))
    unknown = RemoteStatus("s3", (), (ONNX, JSON), "NoCredentialsError: Unable to locate")
    assert [s.state for s in (held, missing, unknown)] == ["held", "missing", "unknown"]
    assert describe(held) == "DVC remote `s3` already holds all 2 `train` outputs dvc.lock pins."
    assert "lacks 1 of 2 `train` outputs (`models/model.onnx`)" in describe(missing)
    assert "release rebuilds them" in describe(missing)
    assert "could not be asked" in describe(unknown) and "NoCredentialsError" in describe(unknown)
