"""Promotion-gate policy parsing and rule evaluation (model/review/policy.py, gate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.review import gate
from model.review.policy import DEFAULT_POLICY, MetricRule, PolicyError, load, parse

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
AUC = MetricRule("roc_auc", "higher", absolute=0.01, significant_only=True)
LOSS = MetricRule("log_loss", "lower", relative=0.05, significant_only=True)


def delta(base: float, head: float, low: float, high: float) -> dict[str, float]:
    return {"base": base, "head": head, "delta": head - base, "ci_low": low, "ci_high": high}


def test_significant_drop_beyond_tolerance_fails() -> None:
    check = gate.metric_check(AUC, delta(0.83, 0.78, -0.07, -0.03))
    assert not check.passed
    assert "worse by 0.0500" in check.detail and "significant" in check.detail


def test_drop_whose_ci_includes_zero_passes_when_significant_only() -> None:
    check = gate.metric_check(AUC, delta(0.83, 0.81, -0.05, 0.01))
    assert check.passed
    assert "CI includes 0" in check.detail


def test_drop_fails_without_significance_when_rule_says_so() -> None:
    strict = MetricRule("roc_auc", "higher", absolute=0.01, significant_only=False)
    assert not gate.metric_check(strict, delta(0.83, 0.81, -0.05, 0.01)).passed


def test_small_significant_drop_within_tolerance_passes() -> None:
    assert gate.metric_check(AUC, delta(0.83, 0.825, -0.008, -0.002)).passed


def test_lower_is_better_with_relative_tolerance() -> None:
    # 5% of 0.45 is 0.0225: a rise of 0.03 with the CI above 0 is a significant worsening.
    assert not gate.metric_check(LOSS, delta(0.45, 0.48, 0.01, 0.05)).passed
    assert gate.metric_check(LOSS, delta(0.45, 0.47, 0.01, 0.03)).passed
    assert gate.metric_check(LOSS, delta(0.45, 0.40, -0.07, -0.03)).passed  # an improvement


def test_segment_rule_names_the_segment_that_dropped() -> None:
    policy = parse({"metrics": {}, "segments": {"max_drop": {"roc_auc": 0.05}}})
    rows = [
        {"segment": "age", "value": "18-29", "metric": "roc_auc", "delta": -0.12, "ci_high": -0.06},
        {"segment": "home", "value": "rent", "metric": "roc_auc", "delta": -0.08, "ci_high": 0.02},
        {
            "segment": "home",
            "value": "owner",
            "metric": "roc_auc",
            "delta": -0.02,
            "ci_high": -0.01,
        },
    ]
    (check,) = gate.segment_checks(policy, rows)
    assert not check.passed
    assert "age=18-29" in check.detail
    assert "rent" not in check.detail and "owner" not in check.detail


def test_latency_budget() -> None:
    policy = parse({"metrics": {}, "latency_budget_ms": {"predict_single_row_ms": 10}})
    assert gate.latency_checks(policy, {"predict_single_row_ms": 9.5})[0].passed
    assert not gate.latency_checks(policy, {"predict_single_row_ms": 12})[0].passed
    assert not gate.latency_checks(policy, None)[0].passed


def test_lock_check_names_stages() -> None:
    lock = {"reproducible": False, "differing_stages": ["prepare", "train"]}
    (check,) = gate.lock_check(lock, required=True)
    assert not check.passed and "prepare, train" in check.detail
    assert gate.lock_check(None, required=True) == []


def test_verdicts() -> None:
    ok = gate.Check("roc_auc", "r", True, "fine")
    bad = gate.Check("f1", "r", False, "f1 worse by 0.4")
    assert gate.verdict([ok], baseline=True, any_significant=False) == (
        True,
        "✅ Gate passed: no significant change",
    )
    passed, line = gate.verdict([ok, bad], baseline=True, any_significant=True)
    assert not passed and line.startswith("❌ Gate failed (f1)")
    passed, line = gate.verdict([], baseline=False, any_significant=False)
    assert passed and "No baseline" in line


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"metrics": {"auc": {"direction": "up", "absolute": 0.1}}}, "direction"),
        (
            {"metrics": {"auc": {"direction": "higher", "absolute": 0.1, "relative": 0.1}}},
            "exactly one",
        ),
        ({"metrics": {"auc": {"direction": "higher"}}}, "exactly one"),
        ({"thresholds": {}}, "metrics"),
    ],
)
def test_malformed_policy_is_rejected(raw: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse(raw)


def test_too_few_resamples_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text("bootstrap: {resamples: 200}\nmetrics: {}\n")
    with pytest.raises(PolicyError, match=">= 1000"):
        load(path)


def test_repository_policy_is_valid() -> None:
    policy = load(ROOT / DEFAULT_POLICY)
    assert {r.name for r in policy.metrics} >= {
        "roc_auc",
        "pr_auc",
        "accuracy",
        "f1",
        "brier",
        "log_loss",
    }
    assert policy.resamples >= 1000
    assert policy.latency_ms and policy.segment_max_drop
    assert {"Age", "Home", "Marital"} <= {s["column"] for s in policy.segments.values()}
