"""The score series the alerts read: labelled by version, positives counted at the threshold."""

from __future__ import annotations

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from model.serving.metrics import Metrics, ScoreCollector

pytestmark = pytest.mark.unit

INFO = {"name": "credit-scoring", "version": "7", "sha256": "0", "git_commit": ""}


def samples(metrics: Metrics) -> dict[tuple[str, frozenset], float]:
    text = metrics.render().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_score_series_carry_the_model_version() -> None:
    metrics = Metrics(INFO)
    metrics.scores.threshold = 0.5
    metrics.scores.observe([0.2, 0.7])
    got = samples(metrics)
    version = frozenset({("version", "7")})
    assert got[("model_prediction_score_count", version)] == 2
    assert got[("model_rows_scored_total", version)] == 2
    assert got[("model_positive_decisions_total", version)] == 1
    assert got[("model_decision_threshold", version)] == 0.5


def test_a_score_at_the_threshold_is_positive_as_the_server_labels_it() -> None:
    """p >= threshold is positive; the le="0.5" bucket counts p <= 0.5, so 1 - it misses p = 0.5."""
    metrics = Metrics(INFO)
    metrics.scores.threshold = 0.5
    metrics.scores.observe([0.5, 0.5, 0.1])
    got = samples(metrics)
    version = frozenset({("version", "7")})
    assert got[("model_positive_decisions_total", version)] == 2
    assert got[("model_prediction_score_bucket", version | {("le", "0.5")})] == 3


def test_small_and_large_batches_count_alike() -> None:
    rng = np.random.default_rng(0)
    scores = [*rng.random(200).tolist(), 0.35, 0.35]
    one_by_one, batched = ScoreCollector("7"), ScoreCollector("7")
    one_by_one.threshold = batched.threshold = 0.35
    for score in scores:
        one_by_one.observe([score])  # the per-row path (<= 32 rows)
    batched.observe(scores)  # the numpy path
    assert one_by_one.positives == batched.positives == sum(s >= 0.35 for s in scores)
    assert one_by_one.counts.tolist() == batched.counts.tolist()


def test_no_threshold_before_a_model_loads() -> None:
    metrics = Metrics(INFO)  # a server whose model failed integrity checks
    metrics.scores.observe([0.9])
    names = {name for name, _ in samples(metrics)}
    assert "model_decision_threshold" not in names
    assert "model_positive_decisions_total" not in names
