"""The report times base and head itself: in one process, in alternating turns, on the same rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from model.core.latency import interleaved_ms
from model.review import timing

pytestmark = pytest.mark.unit


class FakeClock:
    """A clock that only moves when a fake scorer says it took time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_sides_take_turns_and_each_is_charged_its_own_time() -> None:
    clock, calls = FakeClock(), []

    def scorer(name: str, seconds: float):
        def call() -> None:
            calls.append(name)
            clock.now += seconds

        return call

    medians = interleaved_ms(
        {"base": scorer("base", 0.001), "head": scorer("head", 0.003)}, repeats=4, clock=clock
    )
    # One warm-up each, then turns whose order flips so that neither side is always first.
    assert calls == ["base", "head", "base", "head", "head", "base", "base", "head", "head", "base"]
    assert medians == {"base": pytest.approx(1.0), "head": pytest.approx(3.0)}


def test_a_slow_spell_hits_both_sides_not_one() -> None:
    """Sequential timing (all of base, then all of head) would put the spell on one side only."""
    clock, turn = FakeClock(), {"n": 0}

    def scorer() -> None:
        turn["n"] += 1
        clock.now += 0.010 if 7 <= turn["n"] <= 14 else 0.001  # the machine gets busy a while

    medians = interleaved_ms({"base": scorer, "head": scorer}, repeats=10, clock=clock)
    assert medians["base"] == pytest.approx(medians["head"]) == pytest.approx(1.0)


class Model:
    """A stand-in for an ONNX session: binds to named columns, records the rows it scores."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.rows_seen: list[int] = []

    def bind(self, x: pd.DataFrame) -> Callable[[], np.ndarray]:
        values = x[self.columns]  # KeyError when a column is missing, as OnnxScorer.bind

        def call() -> np.ndarray:
            self.rows_seen.append(len(values))
            return np.zeros((len(values), 2))

        return call


def test_both_models_score_the_same_rows_and_a_missing_base_is_left_out() -> None:
    rows = pd.DataFrame({"a": range(7), "b": range(7)})
    base, head = Model(["a"]), Model(["a", "b"])
    out = timing.measure({"base": base, "head": head}, rows, single_repeats=3, batch_repeats=2)
    assert set(out) == {"base", "head"} and all(
        set(v or {}) == set(timing.KEYS) for v in out.values()
    )
    # warm-up + 3 single-row calls, warm-up + 2 whole-split calls, on the same rows
    assert sorted(base.rows_seen) == sorted(head.rows_seen) == [1] * 4 + [7] * 3
    alone = timing.measure({"base": None, "head": head}, rows, single_repeats=3, batch_repeats=2)
    assert alone["base"] is None and alone["head"] is not None


def test_a_base_that_cannot_score_heads_rows_is_not_timed() -> None:
    rows = pd.DataFrame({"a": range(3)})
    out = timing.measure(
        {"base": Model(["gone"]), "head": Model(["a"])}, rows, single_repeats=2, batch_repeats=2
    )
    assert out["base"] is None and out["head"] is not None
