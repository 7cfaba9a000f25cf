"""Predict-latency measurement: a property of the machine, so never a pipeline output.

Two timings taken minutes apart on a shared machine differ by more than two models do, so
sides are compared only when measured in one process, in alternating turns, on the same rows.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def interleaved_ms(
    scorers: Mapping[str, Callable[[], Any]],
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median wall time in ms of each scorer, timed in turns, after one warm-up call each."""
    names = list(scorers)
    for name in names:
        scorers[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for turn in range(repeats):
        # Reverse the order every other turn, so being first (cold caches) favours no side.
        for name in names if turn % 2 == 0 else reversed(names):
            start = clock()
            scorers[name]()
            times[name].append((clock() - start) * 1000)
    return {name: round(statistics.median(t), 4) for name, t in times.items()}
