"""Vectorised bootstrap intervals for metric deltas, and McNemar's exact test.

A resample is a row of counts (how often each test row was drawn), so every metric is a
weighted sum over a (B, n) matrix: thousands of resamples cost a handful of numpy calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

Metric = Callable[["Scored", np.ndarray], np.ndarray]
"""(scored rows, (B, n) resample counts) -> one value per resample, shape (B,)."""


@dataclass(frozen=True)
class Scored:
    """One side's test rows: labels, scores and predicted labels (aligned arrays)."""

    y: np.ndarray
    p: np.ndarray
    label: np.ndarray

    def levels(self, descending: bool) -> tuple[np.ndarray, np.ndarray]:
        """Row order by score, and the start of each group of tied scores in that order."""
        order = np.argsort(-self.p if descending else self.p, kind="stable")
        ps = self.p[order]
        starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
        return order, starts

    def value(self, metric: str) -> float:
        """The metric on all rows (every row counted once)."""
        return float(METRICS[metric](self, np.ones((1, len(self.y))))[0])


def _grouped(s: Scored, w: np.ndarray, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    """Resampled positive and negative counts per distinct score, (B, levels) each."""
    order, starts = s.levels(descending)
    ys, ws = s.y[order], w[:, order]
    pos = np.add.reduceat(ws * ys, starts, axis=1)
    neg = np.add.reduceat(ws * (1 - ys), starts, axis=1)
    return pos, neg


def roc_auc(s: Scored, w: np.ndarray) -> np.ndarray:
    """ROC AUC per resample: P(score_bad > score_good) + half the ties (Mann-Whitney)."""
    pos, neg = _grouped(s, w, descending=False)
    neg_below = np.cumsum(neg, axis=1) - neg
    u = (pos * (neg_below + 0.5 * neg)).sum(axis=1)
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)


def pr_auc(s: Scored, w: np.ndarray) -> np.ndarray:
    """Average precision per resample; tied scores form one threshold, as in sklearn."""
    pos, neg = _grouped(s, w, descending=True)
    tp, seen = np.cumsum(pos, axis=1), np.cumsum(pos + neg, axis=1)
    n_pos = pos.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(seen > 0, tp / seen, 0.0)
        return np.where(n_pos > 0, (pos * precision).sum(axis=1) / n_pos, np.nan)


def _mean(w: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (w * values).sum(axis=1) / w.sum(axis=1)


def accuracy(s: Scored, w: np.ndarray) -> np.ndarray:
    """Share of correct labels per resample."""
    return _mean(w, (s.y == s.label).astype(float))


def f1(s: Scored, w: np.ndarray) -> np.ndarray:
    """F1 of the positive class per resample (0 when undefined, as sklearn does)."""
    tp = (w * (s.y * s.label)).sum(axis=1)
    denom = (w * s.y).sum(axis=1) + (w * s.label).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / denom, 0.0)


def brier(s: Scored, w: np.ndarray) -> np.ndarray:
    """Brier score per resample."""
    return _mean(w, (s.p - s.y) ** 2)


def log_loss(s: Scored, w: np.ndarray) -> np.ndarray:
    """Log loss per resample, probabilities clipped away from 0 and 1."""
    q = np.clip(s.p, 1e-15, 1 - 1e-15)
    return _mean(w, -(s.y * np.log(q) + (1 - s.y) * np.log(1 - q)))


def approval_rate(s: Scored, w: np.ndarray) -> np.ndarray:
    """Share of applicants approved (predicted good, label 0) per resample."""
    return _mean(w, 1.0 - s.label)


METRICS: dict[str, Metric] = {
    "roc_auc": roc_auc,
    "pr_auc": pr_auc,
    "accuracy": accuracy,
    "f1": f1,
    "brier": brier,
    "log_loss": log_loss,
    "approval_rate": approval_rate,
}


@dataclass(frozen=True)
class Delta:
    """head - base for one metric, with its bootstrap interval."""

    base: float
    head: float
    delta: float
    ci_low: float
    ci_high: float
    paired: bool

    @property
    def significant(self) -> bool:
        """The interval excludes 0."""
        return bool(self.ci_low > 0 or self.ci_high < 0)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for report.json."""
        return {**asdict(self), "significant": self.significant}


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def resample_counts(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of n rows is drawn in each resample with replacement, shape (resamples, n)."""
    draws = rng.integers(0, n, size=(resamples, n)) + np.arange(resamples)[:, None] * n
    return np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(float)


def bootstrap_deltas(
    base: Scored, head: Scored, metrics: list[str], *, paired: bool, resamples: int = 2000,
    seed: int = 0, confidence: float = 0.95,
) -> dict[str, Delta]:  # fmt: skip
    """Bootstrap CIs of head - base per metric; paired resamples the same rows on both sides."""
    if paired and len(base.y) != len(head.y):
        raise ValueError(
            f"paired bootstrap needs the same rows; got {len(base.y)} vs {len(head.y)}"
        )
    rng = np.random.default_rng(seed)
    w_base = resample_counts(len(base.y), resamples, rng)
    w_head = w_base if paired else resample_counts(len(head.y), resamples, rng)
    out = {}
    for name in metrics:
        fn = METRICS[name]
        diffs = fn(head, w_head) - fn(base, w_base)
        low, high = _interval(diffs, confidence)
        b_val, h_val = base.value(name), head.value(name)
        out[name] = Delta(b_val, h_val, h_val - b_val, low, high, paired)
    return out


def mcnemar_exact(y: np.ndarray, base_label: np.ndarray, head_label: np.ndarray) -> dict[str, Any]:
    """McNemar's exact test on paired correctness: a binomial test on the discordant pairs."""
    from scipy.stats import binomtest

    base_ok, head_ok = base_label == y, head_label == y
    only_base = int(np.sum(base_ok & ~head_ok))
    only_head = int(np.sum(~base_ok & head_ok))
    n = only_base + only_head
    p_value = 1.0 if n == 0 else float(binomtest(only_base, n, 0.5).pvalue)
    return {"base_only_correct": only_base, "head_only_correct": only_head, "p_value": p_value}
