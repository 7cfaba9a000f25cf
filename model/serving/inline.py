"""Answering a request inside the read that completed it: no task, one write per response.

uvicorn starts an asyncio task per request and writes the status line and headers, then the
body, as two `write` calls. When a whole request arrives in one read (nearly every request
on a keep-alive connection), the connection guard runs the request's ASGI cycle right there
instead; the cycle's writes are held in a `Corked` buffer and leave as one `writelines`
(one syscall, one wake-up of the client). An app that does suspend (a write that must wait
for the socket to drain) is handed to a task at that point by `resume`, as uvicorn would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


class Corked:
    """A transport stand-in for a cycle run inline: writes are kept until `flush`."""

    __slots__ = ("chunks", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        """Keep `data` for the next flush (in order)."""
        self.chunks.append(data)

    def is_closing(self) -> bool:
        """As the real transport."""
        return self.transport.is_closing()

    def close(self) -> None:
        """Send what is kept, then close the real transport (a `connection: close` reply)."""
        self.flush()
        self.transport.close()

    def flush(self) -> None:
        """Hand every kept chunk to the real transport in one call (uvloop: one writev)."""
        chunks = self.chunks
        if chunks:
            self.transport.writelines(chunks)
            chunks.clear()


class _Rest:
    """The rest of a coroutine that was started by hand and suspended on `pending`."""

    __slots__ = ("coro", "pending")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self.coro, self.pending = coro, pending

    def __await__(self) -> Generator[Any, None, Any]:
        # What `yield from` does, for a coroutine already past its first step: the task
        # waits on what the coroutine yielded, then resumes the coroutine with the outcome.
        value = self.pending
        while True:
            try:
                yield value
            except BaseException as exc:  # cancellation: deliver it where the app awaits
                step = self.coro.throw
                arg: Any = exc
            else:
                step, arg = self.coro.send, None
            try:
                value = step(arg)
            except StopIteration as stop:
                return stop.value


async def resume(coro: Coroutine[Any, Any, Any], pending: Any) -> Any:
    """Finish `coro` in a task, from where it suspended on `pending`."""
    return await _Rest(coro, pending)
