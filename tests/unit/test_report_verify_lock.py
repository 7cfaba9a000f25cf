"""dvc.lock comparison behind `model verify-lock` (model/review/verify_lock.py)."""

from __future__ import annotations

import copy

import pytest

from model.review.verify_lock import NON_DETERMINISTIC, compare

pytestmark = pytest.mark.unit

LOCK = {
    "schema": "2.0",
    "stages": {
        "prepare": {
            "deps": [{"path": "data/credit_data.csv", "md5": "d1"}],
            "outs": [{"path": "artifacts/test.csv", "md5": "t1"}],
        },
        "evaluate": {
            "deps": [{"path": "artifacts/test.csv", "md5": "t1"}],
            "outs": [
                {"path": "reports/metrics.json", "md5": "m1"},
                {"path": "reports/latency.json", "md5": "l1"},
            ],
        },
    },
}


def test_identical_locks_have_no_difference() -> None:
    assert compare(LOCK, copy.deepcopy(LOCK)) == []


def test_latency_is_ignored_because_timings_are_not_deterministic() -> None:
    assert "reports/latency.json" in NON_DETERMINISTIC
    other = copy.deepcopy(LOCK)
    other["stages"]["evaluate"]["outs"][1]["md5"] = "l2"
    assert compare(LOCK, other) == []


def test_changed_output_names_its_stage() -> None:
    other = copy.deepcopy(LOCK)
    other["stages"]["prepare"]["outs"][0]["md5"] = "t2"
    (diff,) = compare(LOCK, other)
    assert diff == {"stage": "prepare", "kind": "outs", "path": "artifacts/test.csv",
                    "committed": "t1", "reproduced": "t2"}  # fmt: skip


def test_missing_stage_is_a_difference() -> None:
    other = copy.deepcopy(LOCK)
    del other["stages"]["evaluate"]
    assert {d["stage"] for d in compare(LOCK, other)} == {"evaluate"}
