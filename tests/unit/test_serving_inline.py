"""A request that arrives whole in one read is answered in that read, with one write.

The guarded protocol is driven in process with a recording transport: what it wrote, when
(before the event loop ran anything else) and in how many calls.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop
from uvicorn.config import Config
from uvicorn.server import ServerState

from model.serving.guard import guarded
from model.serving.limits import Limits

pytestmark = pytest.mark.unit
BODY = b'{"x": 1}'
REQUEST = (
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n" % len(BODY)
) + BODY


class Transport(asyncio.Transport):
    """Records every write call and the bytes written."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.calls.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        self.calls.append(b"".join(chunks))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    @property
    def sent(self) -> bytes:
        return b"".join(self.calls)


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """Answer the request body, after an await that suspends when the path says so."""
    body = b""
    more = scope["path"] != "/early"  # answers without reading the body
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/slow":
        await asyncio.sleep(0)  # suspends: the rest must run as a task
    elif scope["path"] == "/slower":
        await asyncio.sleep(0.3)
    close = [(b"connection", b"close")] if scope["path"] == "/close" else []
    headers = [(b"content-length", b"%d" % len(body)), *close]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _protocol(keep_alive: float = 5) -> tuple[Any, Transport]:
    config = Config(
        app=echo,
        access_log=False,
        log_level="warning",
        limit_concurrency=8,
        timeout_keep_alive=keep_alive,  # type: ignore[arg-type]
    )
    config.load()
    cls = guarded(Limits(), lambda status: None)
    proto = cls(config=config, server_state=ServerState(), app_state={})
    transport = Transport()
    proto.connection_made(transport)
    return proto, transport


def _run(test: Any, keep_alive: float = 5) -> None:
    async def main() -> None:
        proto, transport = _protocol(keep_alive)
        try:
            await test(proto, transport)
        finally:
            proto.connection_lost(None)

    uvloop.run(main())


def _responses(sent: bytes) -> int:
    return sent.count(b"HTTP/1.1 200 OK\r\n")


def test_a_whole_request_is_answered_in_its_read_with_one_write() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST)
        # before the loop ran any task: answered already, status line, headers and body at once
        assert len(transport.calls) == 1 and not proto.tasks
        assert transport.calls[0].startswith(b"HTTP/1.1 200 OK\r\n")
        assert transport.calls[0].endswith(b"\r\n\r\n" + BODY)
        proto.data_received(REQUEST)  # keep-alive: the next one too
        assert len(transport.calls) == 2

    _run(test)


def test_a_body_split_over_reads_is_answered_by_a_task() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST[:-3])
        assert not transport.calls and len(proto.tasks) == 1
        proto.data_received(REQUEST[-3:])
        for _ in range(5):
            await asyncio.sleep(0)
        assert _responses(transport.sent) == 1 and transport.sent.endswith(BODY)

    _run(test)


def test_pipelined_requests_in_one_read_are_answered_in_order() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST + REQUEST.replace(BODY, b'{"x": 2}'))
        assert _responses(transport.sent) == 2 and transport.sent.endswith(b'{"x": 2}')
        assert not transport.closed

    _run(test)


def test_an_app_that_suspends_finishes_in_a_task() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST.replace(b"/echo", b"/slow"))
        assert not transport.calls and len(proto.tasks) == 1
        for _ in range(5):
            await asyncio.sleep(0)
        assert _responses(transport.sent) == 1 and transport.sent.endswith(BODY)
        assert not proto.tasks
        proto.data_received(REQUEST)  # and the connection goes on
        assert _responses(transport.sent) == 2

    _run(test)


def test_a_close_reply_is_sent_before_the_connection_closes() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST.replace(b"/echo", b"/close") + REQUEST)
        assert transport.closed and _responses(transport.sent) == 1
        assert b"connection: close" in transport.sent and transport.sent.endswith(BODY)
        for _ in range(5):
            await asyncio.sleep(0)
        assert _responses(transport.sent) == 1  # nothing answered after the close

    _run(test)


def test_keep_alive_requests_arm_no_timer_handle_each() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST)  # the first idle deadline moves the connect-time timer
        timer = proto._timer  # the guard's one timer
        for _ in range(3):
            proto.data_received(REQUEST)
            assert proto.timeout_keep_alive_task is None  # uvicorn arms one per response
        assert proto._timer is timer and _responses(transport.sent) == 4

    _run(test)


def test_an_idle_connection_closes_after_the_keep_alive_timeout() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST)
        await asyncio.sleep(0.02)
        assert not transport.closed
        await asyncio.sleep(0.3)
        assert transport.closed and _responses(transport.sent) == 1

    _run(test, keep_alive=0.1)


def test_no_keep_alive_deadline_while_a_request_is_answered() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST.replace(b"/echo", b"/slower"))  # answered in 0.3 s
        await asyncio.sleep(0.2)  # past the keep-alive timeout
        assert not transport.calls and not transport.closed
        await asyncio.sleep(0.15)
        assert _responses(transport.sent) == 1 and not transport.closed

    _run(test, keep_alive=0.1)


def test_an_answer_before_the_body_still_leaves_an_idle_deadline() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        proto.data_received(REQUEST.replace(b"/echo", b"/early")[:-3])
        for _ in range(5):
            await asyncio.sleep(0)
        assert _responses(transport.sent) == 1
        proto.data_received(REQUEST[-3:])  # the rest of the body, after the answer
        await asyncio.sleep(0.3)
        assert transport.closed  # idle past the keep-alive timeout

    _run(test, keep_alive=0.1)
