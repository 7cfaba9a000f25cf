"""Bootstrap intervals, vectorised metrics and McNemar's test (model/review/stats.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn import metrics as skm

from model.review.compare import align
from model.review.stats import METRICS, Scored, bootstrap_deltas, mcnemar_exact

pytestmark = pytest.mark.unit

N = 900


def scored(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> Scored:
    return Scored(y, p, (p >= threshold).astype(int))


@pytest.fixture
def labels() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 2, N)


def model_scores(y: np.ndarray, signal: float, seed: int) -> np.ndarray:
    """Scores with `signal` separation plus noise, rounded so that ties exist."""
    noise = np.random.default_rng(seed).normal(0, 1, len(y))
    return np.round(1 / (1 + np.exp(-(signal * (y - 0.5) + noise))), 2)


def test_metrics_match_sklearn_with_ties(labels: np.ndarray) -> None:
    p = model_scores(labels, 1.5, seed=1)
    s = scored(labels, p)
    label = (p >= 0.5).astype(int)
    assert s.value("roc_auc") == pytest.approx(skm.roc_auc_score(labels, p), abs=1e-12)
    assert s.value("pr_auc") == pytest.approx(skm.average_precision_score(labels, p), abs=1e-12)
    assert s.value("accuracy") == pytest.approx(skm.accuracy_score(labels, label))
    assert s.value("f1") == pytest.approx(skm.f1_score(labels, label))
    assert s.value("brier") == pytest.approx(skm.brier_score_loss(labels, p))
    assert s.value("log_loss") == pytest.approx(skm.log_loss(labels, p))
    assert s.value("approval_rate") == pytest.approx(1 - label.mean())


def test_weighted_auc_matches_sklearn_sample_weight(labels: np.ndarray) -> None:
    p = model_scores(labels, 1.0, seed=2)
    w = np.random.default_rng(0).multinomial(N, np.full(N, 1 / N), size=1).astype(float)
    s = scored(labels, p)
    assert METRICS["roc_auc"](s, w)[0] == pytest.approx(
        skm.roc_auc_score(labels, p, sample_weight=w[0])
    )
    assert METRICS["pr_auc"](s, w)[0] == pytest.approx(
        skm.average_precision_score(labels, p, sample_weight=w[0])
    )


def test_identical_predictions_give_zero_delta_and_ci_straddling_zero(labels: np.ndarray) -> None:
    s = scored(labels, model_scores(labels, 1.5, seed=1))
    deltas = bootstrap_deltas(s, s, list(METRICS), paired=True, resamples=1000, seed=1)
    for d in deltas.values():
        assert d.delta == 0
        assert d.ci_low <= 0 <= d.ci_high
        assert not d.significant


def test_equally_good_models_have_ci_straddling_zero(labels: np.ndarray) -> None:
    a = scored(labels, model_scores(labels, 1.5, seed=1))
    b = scored(labels, model_scores(labels, 1.5, seed=2))
    d = bootstrap_deltas(a, b, ["roc_auc", "accuracy"], paired=True, resamples=2000, seed=1)
    assert d["roc_auc"].ci_low < 0 < d["roc_auc"].ci_high
    assert not d["roc_auc"].significant


def test_real_drop_is_significant(labels: np.ndarray) -> None:
    good = scored(labels, model_scores(labels, 2.5, seed=1))
    weak = scored(labels, model_scores(labels, 0.5, seed=1))
    d = bootstrap_deltas(good, weak, ["roc_auc", "pr_auc", "log_loss"], paired=True, resamples=1000)
    assert d["roc_auc"].ci_high < 0 and d["roc_auc"].significant
    assert d["pr_auc"].ci_high < 0
    assert d["log_loss"].ci_low > 0  # lower is better: the weak model's loss is higher


def test_bootstrap_is_seeded(labels: np.ndarray) -> None:
    a = scored(labels, model_scores(labels, 1.5, seed=1))
    b = scored(labels, model_scores(labels, 1.4, seed=2))
    one = bootstrap_deltas(a, b, ["roc_auc"], paired=True, resamples=1000, seed=7)
    two = bootstrap_deltas(a, b, ["roc_auc"], paired=True, resamples=1000, seed=7)
    other = bootstrap_deltas(a, b, ["roc_auc"], paired=True, resamples=1000, seed=8)
    assert one == two
    assert one != other


def test_paired_interval_is_narrower_than_unpaired(labels: np.ndarray) -> None:
    a = scored(labels, model_scores(labels, 1.5, seed=1))
    b = scored(labels, np.clip(a.p + 0.01, 0, 1))
    paired = bootstrap_deltas(a, b, ["brier"], paired=True, resamples=1000)["brier"]
    unpaired = bootstrap_deltas(a, b, ["brier"], paired=False, resamples=1000)["brier"]
    assert (paired.ci_high - paired.ci_low) < (unpaired.ci_high - unpaired.ci_low) / 3
    assert not unpaired.paired


def test_unpaired_handles_different_row_counts(labels: np.ndarray) -> None:
    a = scored(labels, model_scores(labels, 1.5, seed=1))
    short = labels[:600]
    b = scored(short, model_scores(short, 1.5, seed=2))
    d = bootstrap_deltas(a, b, ["roc_auc", "accuracy"], paired=False, resamples=1000)
    assert np.isfinite(d["roc_auc"].ci_low) and d["roc_auc"].ci_low < d["roc_auc"].ci_high
    with pytest.raises(ValueError, match="same rows"):
        bootstrap_deltas(a, b, ["roc_auc"], paired=True, resamples=1000)


def frame(ids: list[int], y: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"rownames": ids, "y_true": y, "proba": 0.5, "y_pred": 0})


def test_align_pairs_same_rows_in_any_order() -> None:
    b, h, paired, note = align(frame([3, 1, 2], [1, 0, 1]), frame([1, 2, 3], [0, 1, 1]))
    assert paired
    assert list(b["rownames"]) == list(h["rownames"]) == [1, 2, 3]
    assert "paired" in note


def test_align_falls_back_to_unpaired_on_different_rows() -> None:
    _, _, paired, note = align(frame([1, 2, 3], [0, 1, 1]), frame([1, 2, 4], [0, 1, 1]))
    assert not paired
    assert "different test rows" in note and "2 shared" in note


def test_mcnemar_exact_matches_binomial_test() -> None:
    y = np.array([1] * 40)
    base = np.array([1] * 30 + [0] * 10)  # base right on 30
    head = np.array([1] * 20 + [0] * 10 + [1] * 10)  # 10 only-base, 10 only-head... shifted
    head[:5] = 0  # now 15 rows only base got right, 10 only head
    result = mcnemar_exact(y, base, head)
    assert result["base_only_correct"] == 15 and result["head_only_correct"] == 10
    assert result["p_value"] == pytest.approx(binomtest(15, 25, 0.5).pvalue)


def test_mcnemar_without_discordant_pairs_is_one() -> None:
    y = np.array([0, 1, 1])
    assert mcnemar_exact(y, y, y)["p_value"] == 1.0
