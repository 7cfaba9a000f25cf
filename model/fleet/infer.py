"""Infer a first data contract, params and gate policy from a real dataset (`model new`).

The contract is a starting point the team then owns: types from the data, the categories
seen, ranges widened by a margin so normal variation passes, and null-rate bounds a little
above what the data shows (the same rule of thumb as the credit contract in schema.py).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from model.core.schema import Column, Contract
from model.fleet.layout import FleetError

if TYPE_CHECKING:
    import pandas as pd

RANGE_MARGIN = 0.1  # share of the observed span added on each side of a numeric range
MAX_CATEGORIES = 60  # more distinct strings than this is an identifier or free text, not a category
SEGMENT_MAX_LEVELS = 8  # categorical columns with at most this many values become gate segments


def _null_bound(rate: float) -> float:
    """max(2 x observed, observed + 1 pt), rounded up to a whole point; 0 stays 0."""
    if rate == 0:
        return 0.0
    return min(1.0, math.ceil(max(2 * rate, rate + 0.01) * 100) / 100)


def _numeric(name: str, series: pd.Series, integral: bool) -> Column:
    low, high = float(series.min()), float(series.max())
    rate = _null_bound(float(series.isna().mean()))
    if integral and set(series.dropna().unique()) <= {0, 1}:
        return Column(name, "int", rate, (), 0, 1)  # a 0/1 flag: a 2 is an error, not variation
    margin = (high - low) * RANGE_MARGIN or max(abs(high) * RANGE_MARGIN, 1.0)
    lo, hi = low - margin, high + margin
    if low >= 0:
        lo = max(lo, 0.0)  # a quantity never negative in the data stays non-negative
    if integral:
        return Column(name, "int", rate, (), math.floor(lo), math.ceil(hi))
    return Column(name, "float", rate, (), round(lo, 6), round(hi, 6))


def _category(name: str, series: pd.Series) -> Column:
    values = sorted({str(v) for v in series.dropna().unique()})
    if len(values) > MAX_CATEGORIES:
        raise FleetError(
            f"column {name!r}: {len(values)} distinct strings (more than {MAX_CATEGORIES}); "
            "drop it from the data or encode it before `model new`"
        )
    return Column(name, "category", _null_bound(float(series.isna().mean())), tuple(values))


def classes(df: pd.DataFrame, target: str, positive: str | None) -> tuple[str, str]:
    """(negative, positive): the target's two values, positive given or the rarer one."""
    counts = df[target].dropna().astype(str).value_counts()
    if len(counts) != 2 or df[target].isna().any():
        raise FleetError(
            f"target {target!r}: expected exactly two classes and no missing values; found "
            f"{len(counts)} class(es), {int(df[target].isna().sum())} missing"
        )
    if positive is None:
        positive = str(counts.index[-1])  # value_counts sorts descending: the minority
    if positive not in counts.index:
        raise FleetError(
            f"--positive {positive!r}: not a value of {target!r} ({list(counts.index)})"
        )
    negative = next(str(c) for c in counts.index if c != positive)
    return negative, positive


def contract(df: pd.DataFrame, target: str, id_column: str, positive: str | None) -> Contract:
    """The inferred contract of `df` (every column except the id and the target is a feature)."""
    import pandas as pd

    negative, pos = classes(df, target, positive)
    features = []
    for name in df.columns:
        if name in (id_column, target):
            continue
        series = df[name]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            features.append(_category(str(name), series.astype(object)))
        else:
            features.append(_numeric(str(name), series, pd.api.types.is_integer_dtype(series)))
    if not features:
        raise FleetError("the dataset has no feature columns besides the id and the target")
    return Contract(
        features=tuple(features), id_column=id_column, target=target,
        target_classes=(negative, pos), min_rows=max(1, min(1000, len(df) // 2)),
    )  # fmt: skip


def params(default: dict[str, Any]) -> dict[str, Any]:
    """A new model's params: the default model's stage sections, copied (then owned)."""
    return {section: dict(default[section]) for section in ("prepare", "train", "evaluate")}


def gate(default: dict[str, Any], inferred: Contract) -> dict[str, Any]:
    """A new model's gate: the default's rules, segments on its own low-cardinality categories."""
    out = {k: v for k, v in default.items() if k != "segments"}
    by = {
        c.name: {"column": c.name}
        for c in inferred.features
        if c.kind == "category" and len(c.categories) <= SEGMENT_MAX_LEVELS
    }
    segments = dict(default.get("segments") or {})
    segments["by"] = dict(list(by.items())[:3])
    out["segments"] = segments
    return out
