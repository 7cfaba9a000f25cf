"""Connection bounds uvicorn lacks: header size, and header/body read deadlines (408).

uvicorn's httptools protocol buffers a header of any size (one 200 MB header grew RSS by
~300 MB) and never closes a connection that sends slowly. This subclass counts the bytes
received while a request's headers are incomplete and keeps one deadline per phase; a breach
answers 431 or 408 itself, closes the connection, and is counted through `on_reject`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from model.serving.limits import Limits
from model.serving.request import TIMED_OUT

Reject = Callable[[int], None]


def _response(status: int, reason: str, message: str) -> bytes:
    body = ('{"error":"' + message + '"}').encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class GuardedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a header byte limit and header/body read deadlines."""

    limits: Limits = Limits()
    on_reject: Reject = staticmethod(lambda status: None)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header deadline: a connection that never sends is closed too."""
        super().connection_made(transport)
        self._header_bytes = 0
        self._in_headers = True
        self._deadline: asyncio.TimerHandle | None = None
        self._arm(self.limits.header_timeout, self._header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, refusing once the headers outgrow the limit."""
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        # httptools buffers at most this one chunk beyond the limit before we close
        if self._in_headers and self._header_bytes > self.limits.max_header:
            message = f"request headers exceed {self.limits.max_header} bytes"
            self._reject(431, "Request Header Fields Too Large", message)

    def on_message_begin(self) -> None:
        """A request starts: its headers must arrive within the header timeout."""
        super().on_message_begin()
        if self._deadline is None:
            self._arm(self.limits.header_timeout, self._header_timeout)

    def on_headers_complete(self) -> None:
        """Headers done: the body (if any) must arrive within the body timeout."""
        self._in_headers = False
        self._header_bytes = 0
        self._arm(self.limits.body_timeout, self._body_timeout)
        cap = self.limit_concurrency
        if cap is not None and (len(self.connections) >= cap or len(self.tasks) >= cap):
            type(self).on_reject(503)  # uvicorn answers it without calling the app: count it
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes that are not HTTP: counted like any other response."""
        type(self).on_reject(400)
        super().send_400_response(msg)

    def on_message_complete(self) -> None:
        """The whole request arrived: no read deadline until the next one starts."""
        self._disarm()
        self._in_headers = True
        super().on_message_complete()

    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _header_timeout(self) -> None:
        self._deadline = None
        if self._header_bytes:
            self._reject(408, "Request Timeout", "request headers not received in time")
        elif not self.transport.is_closing():  # idle, nothing sent: just close
            self.transport.close()

    def _body_timeout(self) -> None:
        self._deadline = None
        cycle: Any = self.cycle
        if cycle is not None and cycle.response_started:
            self.transport.close()  # the answer is on its way; stop reading the body
            return
        if cycle is not None:
            cycle.scope[TIMED_OUT] = True  # the app counts the 408 when its read ends
        self._reject(408, "Request Timeout", "request body not received in time", count=False)

    def _reject(self, status: int, reason: str, message: str, count: bool = True) -> None:
        if self.transport.is_closing():
            return
        self._disarm()
        self.transport.write(_response(status, reason, message))
        self.transport.close()
        if count:
            type(self).on_reject(status)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()


def guarded(limits: Limits, on_reject: Reject) -> type[GuardedProtocol]:
    """A protocol class bound to these limits (uvicorn instantiates it per connection)."""
    return type(
        "GuardedProtocol",
        (GuardedProtocol,),
        {"limits": limits, "on_reject": staticmethod(on_reject)},
    )
