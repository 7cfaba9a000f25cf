"""Large batches are scored on one thread beside the event loop, not on it.

ONNX Runtime releases the GIL while it runs. On the loop, a 1,000-row model run (about 3 ms
here) stalled every other connection: health checks, single rows, and the reading and
validating of the next batch all waited. On the scoring thread the run overlaps that work.
There is one thread, so batches still run one at a time, as on the loop; only the waiting
moves. Below MODEL_OFFLOAD_ROWS rows a request stays on the loop: the hand-off between
threads (tens of microseconds) would cost it more than it frees.

A handler returns `Scoring` for a large batch. `run` is the model run alone and must touch
nothing the loop owns; `reply` runs back on the loop (metrics, samples, the response).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Scoring:
    """A validated request whose model run may leave the loop (see the module docstring)."""

    run: Callable[[], Any]
    reply: Callable[[Any], Any]

    def now(self) -> Any:
        """Score on the calling thread and answer: the reply."""
        return self.reply(self.run())


Finish = Callable[["Future[Any]"], None]


@dataclass(slots=True)
class _Job:
    future: Future[Any]
    finish: Finish
    finished: bool = False


class ScoringThread:
    """One scoring thread, started on first use; jobs finish on the loop that submitted them."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[_Job] = []  # submitted through `submit`, not yet finished
        self.queued = 0  # batches waiting for or on the thread (changed on the loop only)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring")
        return self._pool

    async def run(self, scoring: Scoring) -> Any:
        """Await `scoring.run()` on the thread (its exception, if any, is raised here)."""
        self.queued += 1
        try:
            return await asyncio.wrap_future(self._executor().submit(scoring.run))
        finally:
            self.queued -= 1

    def submit(self, scoring: Scoring, finish: Finish) -> None:
        """Run `scoring.run()` on the thread, then `finish(future)` on this loop.

        `drain` finishes every such job at once, waiting for it if it must: a connection
        whose next request arrives before its answer calls it, so answers keep their order.
        """
        loop = asyncio.get_running_loop()
        job = _Job(self._executor().submit(scoring.run), finish)
        self._jobs.append(job)
        self.queued += 1

        def done(_: Future[Any]) -> None:  # on the scoring thread
            # RuntimeError: the loop closed first; the server is gone, and so is the answer
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._finish, job)

        job.future.add_done_callback(done)

    def _finish(self, job: _Job) -> None:
        """Call the job's `finish` once, whether its callback or `drain` comes first."""
        if job.finished:
            return
        job.finished = True
        self._jobs.remove(job)
        self.queued -= 1
        job.finish(job.future)

    def drain(self) -> None:
        """Finish every submitted job now, in order, blocking until each has run."""
        while self._jobs:
            job = self._jobs[0]
            if not job.future.cancelled():
                job.future.exception()  # waits; a failure is the job's own to report
            self._finish(job)

    def close(self) -> None:
        """Stop the thread; queued jobs are dropped (their connections close with the server)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
