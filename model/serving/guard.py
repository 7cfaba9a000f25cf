"""Connection bounds uvicorn lacks: header size, and header/body read deadlines (408).

uvicorn's httptools protocol buffers a header of any size (one 200 MB header grew RSS by
~300 MB) and never closes a connection that sends slowly. This subclass counts the bytes
received while a request's headers are incomplete and keeps one deadline per phase; a breach
answers 431 or 408 itself, closes the connection, and is counted through `on_reject`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from model.serving.limits import Limits
from model.serving.request import CLIENT_GONE, TIMED_OUT

if TYPE_CHECKING:
    from model.serving.asgi import BaseServer, Direct, Reply

Reject = Callable[[int], None]


def _response(status: int, reason: str, message: str) -> bytes:
    body = ('{"error":"' + message + '"}').encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


HEADERS, BODY = "headers", "body"
INF = float("inf")


class GuardedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a header byte limit and header/body read deadlines.

    Phase changes only store a deadline (a float); one timer per connection wakes when the
    current deadline may have passed, so a keep-alive request costs no timer handles: the
    keep-alive timeout is that timer's idle deadline too.
    """

    limits: Limits = Limits()
    on_reject: Reject = staticmethod(lambda status: None)
    scorer: BaseServer | None = None  # answers direct requests (asgi.BaseServer.direct_route)
    _direct: Direct | None = None  # the request being answered without an ASGI cycle
    _waiting = False  # its answer waits for a shared run or the scoring thread (BaseServer.settle)
    _stopping = False  # shutdown came while a direct request was read or waited: close after it
    _last_head: tuple[Any, Any, int, bytes] = (None, None, 0, b"")  # see _head

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header deadline: a connection that never sends is closed too."""
        super().connection_made(transport)
        self._header_bytes = 0
        self._phase: str | None = HEADERS
        self._timer: asyncio.TimerHandle | None = None
        self._wake = 0.0
        self._deadline(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the timer with the connection; a direct request cut short is counted (499)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._direct is not None:
            self._end_direct(CLIENT_GONE)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, refusing once the headers outgrow the limit."""
        if self._waiting:  # the last answer goes out before anything this data brings
            self.scorer.settle()  # type: ignore[union-attr]
        phase = self._phase
        if phase is not BODY:
            if phase is None:  # the next keep-alive request starts; the first is timed from connect
                self._phase = HEADERS
                self._deadline(self.limits.header_timeout)
            self._header_bytes += len(data)
        super().data_received(data)
        # httptools buffers at most this one chunk beyond the limit before we close
        if self._header_bytes > self.limits.max_header and self._phase is not BODY:
            message = f"request headers exceed {self.limits.max_header} bytes"
            self._reject(431, "Request Header Fields Too Large", message)

    def on_message_begin(self) -> None:
        """A pipelined request starts: the one before it is answered first."""
        if self._waiting:
            self.scorer.settle()  # type: ignore[union-attr]
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        """Headers done: the body (if any) must arrive within the body timeout."""
        self._phase = BODY
        self._header_bytes = 0
        self._deadline(self.limits.body_timeout)
        cap = self.limit_concurrency
        if cap is not None and (len(self.connections) >= cap or len(self.tasks) >= cap):
            type(self).on_reject(503)  # uvicorn answers it without calling the app: count it
        elif self.scorer is not None and self._may_answer_directly():
            self._direct = self.scorer.direct_route(
                self.parser.get_method().decode("ascii"), self._path, self.headers
            )
            if self._direct is not None:
                self._body: list[bytes] = []
                self._size = 0
                return
        super().on_headers_complete()

    def _may_answer_directly(self) -> bool:
        """No ASGI cycle in flight or queued (answers stay in order), a plain path, no upgrade
        and no `Expect: 100-continue` (uvicorn's cycle sends the interim response)."""
        if self.pipeline or (self.cycle is not None and not self.cycle.response_complete):
            return False
        if self.transport.is_closing():
            return False  # refused already: uvicorn's cycle knows to send nothing more
        if self.expect_100_continue or self.parser.should_upgrade():
            return False
        url = self.url
        if b"%" in url or not url.startswith(b"/"):
            return False  # escaped or absolute-form targets: uvicorn's parsing decides
        self._path = url.partition(b"?")[0].decode("ascii", "replace")
        return True

    def on_body(self, body: bytes) -> None:
        """Buffer a direct request's body within the shared budget (its length was checked)."""
        if self._direct is None:
            if self.cycle is not None:  # None: a direct request refused mid-body, now closing
                super().on_body(body)
            return
        budget = self.scorer.budget  # type: ignore[union-attr]
        if budget.used + len(body) > budget.limit:
            self._end_direct(503)
            message = "server busy: too many request bodies in flight; retry with backoff"
            self._reject(503, "Service Unavailable", message, count=False)
            return
        budget.used += len(body)
        self._size += len(body)
        self._body.append(body)

    def on_message_complete(self) -> None:
        """The whole request arrived: no deadline while it is answered (idle if it was)."""
        self._phase = None
        if self._direct is not None:
            self._answer_directly()
            return
        if self.cycle is None:  # a direct request refused mid-body: its connection is closing
            return
        if self.cycle.response_complete:
            self._deadline(self.timeout_keep_alive)  # answered before its body had arrived
        else:
            self._until = INF
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """uvicorn's, but the keep-alive timeout is this connection's idle deadline.

        uvicorn arms a timer handle per response and cancels it when the next request comes
        (~2 us a request); the guard's one timer closes the idle connection instead.
        """
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif self._phase is None:  # not when the reply came before the whole request
            self._deadline(self.timeout_keep_alive)

    def _answer_directly(self) -> None:
        """Score and answer: now, with this loop turn's batch, or when the scoring thread has
        run a large batch (`_deliver` every way)."""
        direct, body = self._direct, self._body
        self._direct = None
        self.scorer.budget.used -= self._size  # type: ignore[union-attr]
        payload = body[0] if len(body) == 1 else b"".join(body)
        self._keep = (
            not self._stopping
            and self.parser.should_keep_alive()
            and self.parser.get_http_version() != "1.0"
        )
        self._bodiless = direct.method == "HEAD"  # type: ignore[union-attr]
        reply = self.scorer.direct_reply(direct, payload, self._path, self._deliver)  # type: ignore[union-attr, arg-type]
        if reply is None:
            self._waiting = True
            self._until = INF  # not idle: no keep-alive close while its answer waits
        else:
            self._deliver(reply)

    def _deliver(self, reply: Reply) -> bool:
        """Send one answer in one write, then wait for the next request (or close); False
        when the connection is gone."""
        self._waiting = False
        if self.transport.is_closing():
            return False
        status, content, extra = reply
        keep = self._keep
        length = b"content-length: %d\r\n" % len(content)
        end = b"\r\n" if keep else b"connection: close\r\n\r\n"
        body = b"" if self._bodiless else content
        self.transport.write(b"".join((self._head(status, extra), length, end, body)))
        self.server_state.total_requests += 1
        if not keep:
            self.transport.close()
        elif self._phase is None:  # not when the next request is already being read
            self._deadline(self.timeout_keep_alive)
        return True

    def _head(self, status: int, extra: list[tuple[bytes, bytes]]) -> bytes:
        """Status line, uvicorn's default headers (its date) and the reply's own, as bytes.

        Kept for the last (defaults, headers, status) seen: uvicorn swaps in a new defaults
        list each second, and a handler's headers are module-level lists, so the hot route
        re-joins them about once a second instead of on every request.
        """
        defaults = self.server_state.default_headers
        last = GuardedProtocol._last_head
        if last[0] is defaults and last[1] is extra and last[2] == status:
            return last[3]
        parts = [STATUS_LINE[status]]
        for name, value in (*defaults, *extra):
            parts += (name, b": ", value, b"\r\n")
        head = b"".join(parts)
        GuardedProtocol._last_head = (defaults, extra, status, head)
        return head

    def _end_direct(self, status: int) -> None:
        """A direct request ends unanswered: give its buffered bytes back and count it."""
        direct, self._direct = self._direct, None
        self.scorer.budget.used -= self._size  # type: ignore[union-attr]
        self._size = 0
        self.scorer.direct_counted(direct, status)  # type: ignore[union-attr, arg-type]

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown, which sees only ASGI cycles: a direct request whose body
        is still arriving, or whose answer waits (a large batch on the scoring thread), is
        answered first, with `connection: close`. uvicorn waits for the connection to close."""
        if self._direct is None and not self._waiting:
            super().shutdown()
            return
        self._stopping = True
        self._keep = False

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes that are not HTTP: counted like any other response."""
        type(self).on_reject(400)
        super().send_400_response(msg)

    def _deadline(self, seconds: float) -> None:
        """Set the current phase's deadline; move the timer only if it would wake too late."""
        self._until = self.loop.time() + seconds
        if self._timer is None or self._until < self._wake:
            self._sleep_until(self._until)

    def _sleep_until(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._wake = when
        self._timer = self.loop.call_at(when, self._check)

    def _check(self) -> None:
        """The timer: act on a passed deadline, else sleep until the current one."""
        self._timer = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        if self._until > now:  # not yet; INF while a request is answered: look again later
            self._sleep_until(min(self._until, now + self.limits.header_timeout))
        elif self._phase is BODY:
            self._body_timeout()
        elif self._phase is None:  # idle for the keep-alive timeout after a response
            self.transport.close()
        elif self._header_bytes:
            self._reject(408, "Request Timeout", "request headers not received in time")
        else:  # idle, nothing sent: just close
            self.transport.close()

    def _body_timeout(self) -> None:
        if self._direct is not None:
            self._end_direct(408)
            self._reject(408, "Request Timeout", "request body not received in time", count=False)
            return
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
        self.transport.write(_response(status, reason, message))
        self.transport.close()
        if count:
            type(self).on_reject(status)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()


def guarded(
    limits: Limits, on_reject: Reject, server: BaseServer | None = None
) -> type[GuardedProtocol]:
    """A protocol class bound to these limits (uvicorn instantiates it per connection); with a
    `server`, the requests it routes directly skip the ASGI cycle."""
    return type(
        "GuardedProtocol",
        (GuardedProtocol,),
        {"limits": limits, "on_reject": staticmethod(on_reject), "scorer": server},
    )
