"""Per-segment AUC and approval rate, base vs head, each delta with a bootstrap CI."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from model.review.stats import Scored, bootstrap_deltas

if TYPE_CHECKING:
    import pandas as pd

    from model.review.policy import Policy

SEGMENT_METRICS = ["roc_auc", "approval_rate"]


def assign(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    """Each row's segment label under one segment spec (a column, optionally binned)."""
    import pandas as pd

    column = frame[spec["column"]]
    if "bins" not in spec:
        return column.fillna("missing").astype(str)
    edges = spec["bins"]
    labels = spec.get("labels") or [f"{lo}-{hi - 1}" for lo, hi in pairwise(edges)]
    return pd.cut(column, bins=edges, labels=labels, right=False).astype(str)


def _scored(frame: pd.DataFrame) -> Scored:
    return Scored(
        frame["y_true"].to_numpy(dtype=np.int8),
        frame["proba"].to_numpy(dtype=float),
        frame["y_pred"].to_numpy(dtype=np.int8),
    )


def compare(
    base: pd.DataFrame, head: pd.DataFrame, policy: Policy, paired: bool
) -> list[dict[str, Any]]:
    """One row per (segment, value, metric) with base, head, delta and its CI."""
    rows: list[dict[str, Any]] = []
    for seg_name, spec in policy.segments.items():
        b_groups, h_groups = assign(base, spec), assign(head, spec)
        for value in sorted(set(b_groups) & set(h_groups)):
            b, h = base[b_groups == value], head[h_groups == value]
            n = min(len(b), len(h))
            if n < policy.segment_min_rows:
                continue
            deltas = bootstrap_deltas(
                _scored(b), _scored(h), SEGMENT_METRICS, paired=paired,
                resamples=policy.resamples, seed=policy.seed, confidence=policy.confidence,
            )  # fmt: skip
            for metric, d in deltas.items():
                rows.append(
                    {"segment": seg_name, "value": value, "n": n, "metric": metric, **d.to_dict()}
                )
    return rows


def head_only(head: pd.DataFrame, policy: Policy) -> list[dict[str, Any]]:
    """A new model's segments: head's AUC and approval rate per value (no base to compare)."""
    rows: list[dict[str, Any]] = []
    for seg_name, spec in policy.segments.items():
        if spec["column"] not in head.columns:
            continue
        groups = assign(head, spec)
        for value in sorted(set(groups)):
            part = head[groups == value]
            if len(part) < policy.segment_min_rows:
                continue
            scored = _scored(part)
            row = {"segment": seg_name, "value": value, "n": len(part)}
            rows.append(row | {m: scored.value(m) for m in SEGMENT_METRICS})
    return rows
