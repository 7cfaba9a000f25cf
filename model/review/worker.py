"""One helper process for the slow imports (matplotlib, scipy.stats).

It warms up while the parent imports DVC and reads both revisions, then draws the plots and
runs McNemar's test while the parent bootstraps: on two cores that halves the wall time.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def warm() -> None:
    """Import what the worker's tasks need, ahead of the tasks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import scipy.stats  # noqa: F401


def start() -> ProcessPoolExecutor:
    """A one-process pool (spawned: DVC's threads make fork unsafe) that is already warming up."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(warm)
    return pool
