"""Keep-alive connections: closed when idle, by the guard's one timer, not a handle per reply.

The guarded protocol is driven in process with a recording transport.
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
    """Answer the request body (/slower: after 0.3 s; /early: without reading it)."""
    body = b""
    more = scope["path"] != "/early"  # answers without reading the body
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/slower":
        await asyncio.sleep(0.3)
    headers = [(b"content-length", b"%d" % len(body))]
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


async def _answered(proto: Any, transport: Transport, data: bytes, count: int) -> None:
    proto.data_received(data)
    for _ in range(20):  # the request's task runs
        if _responses(transport.sent) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"no answer {count}: {transport.sent!r}")


def test_keep_alive_requests_arm_no_timer_handle_each() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        await _answered(proto, transport, REQUEST, 1)  # the first idle deadline moves the timer
        timer = proto._timer  # the guard's one timer
        for count in range(2, 5):
            await _answered(proto, transport, REQUEST, count)
            assert proto.timeout_keep_alive_task is None  # uvicorn arms one per response
        assert proto._timer is timer

    _run(test)


def test_an_idle_connection_closes_after_the_keep_alive_timeout() -> None:
    async def test(proto: Any, transport: Transport) -> None:
        await _answered(proto, transport, REQUEST, 1)
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
