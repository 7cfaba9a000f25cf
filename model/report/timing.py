"""Base and head predict latency, measured by the report itself.

Timings are not pipeline outputs: a figure recorded by each revision's CI run compares two
machines' moods, not two models. Here both sklearn pipelines run in this one process, in
alternating turns, on the same rows (head's test split), so noise hits both sides alike.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from model.latency import interleaved_ms

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from model.report.sides import Reader

SINGLE_ROW_REPEATS = 200  # single-row calls take ~5 ms: ~2 s per side
BATCH_REPEATS = 10  # whole-split calls take ~50 ms: ~0.5 s per side
KEYS = ("predict_single_row_ms", "predict_batch_ms")


def load_model(reader: Reader) -> Any | None:
    """The revision's sklearn pipeline (skops, trusted types only), or None if it has none."""
    from model.artifact import TRUSTED_TYPES
    from model.report.sides import SKOPS

    data = reader.raw(SKOPS)
    if data is None:
        return None
    import skops.io as sio

    return sio.loads(data, trusted=TRUSTED_TYPES)


def usable(model: Any, rows: pd.DataFrame) -> bool:
    """Whether `model` scores `rows`: a base model may expect a feature head dropped."""
    try:
        model.predict_proba(rows.iloc[[0]])
    except (KeyError, ValueError):
        return False
    return True


def measure(
    models: Mapping[str, Any | None],
    rows: pd.DataFrame,
    single_repeats: int = SINGLE_ROW_REPEATS,
    batch_repeats: int = BATCH_REPEATS,
) -> dict[str, dict[str, float] | None]:
    """Per role, median single-row and whole-`rows` predict_proba ms; None if it cannot score."""
    present = {r: m for r, m in models.items() if m is not None and usable(m, rows)}
    row = rows.iloc[[0]]
    single = interleaved_ms({r: partial(m.predict_proba, row) for r, m in present.items()},
                            single_repeats)  # fmt: skip
    batch = interleaved_ms({r: partial(m.predict_proba, rows) for r, m in present.items()},
                           batch_repeats)  # fmt: skip
    return {
        role: dict(zip(KEYS, (single[role], batch[role]), strict=True)) if role in present else None
        for role in models
    }


def method(rows: int) -> dict[str, Any]:
    """How the figures were taken, for the report to state beside them."""
    return {"rows": rows, "single_row_repeats": SINGLE_ROW_REPEATS, "batch_repeats": BATCH_REPEATS}
