"""Hostile clients against a real server process on loopback, with raw sockets.

Every attack loop is bounded (bytes and seconds) and stops by itself; each test asserts
that the server closed the connection and that its peak RSS stayed bounded.
"""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.loopback import counted, server_process
from tests.unit.serving_helpers import serving_env

pytestmark = [pytest.mark.e2e, pytest.mark.security]
MIB = 1 << 20
TIMEOUT = 1.5  # header and body read timeouts of the server under test
BUFFERED = 24 * MIB
CONNECTIONS = 16


@dataclass
class Server:
    """A running server: its URL, port and pid."""

    url: str
    port: int
    pid: int

    def peak_rss_mib(self) -> float:
        """Peak resident memory of the process so far (VmHWM), MiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]

    def connect(self) -> socket.socket:
        """A raw TCP connection to the server."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 << 10)
        return sock

    def counted(self, status: int) -> int:
        """Responses with `status` counted by /metrics."""
        return counted(self.url, status)


@pytest.fixture(scope="module")
def server(trained_workspace: Path) -> Iterator[Server]:
    env = serving_env(
        MODEL_HEADER_TIMEOUT=str(TIMEOUT),
        MODEL_BODY_TIMEOUT=str(TIMEOUT),
        MODEL_MAX_BUFFERED_BYTES=str(BUFFERED),
        MODEL_MAX_CONNECTIONS=str(CONNECTIONS),
    )
    cmd = [sys.executable, "-m", "model.serving", "--model-dir", str(trained_workspace / "models")]
    with server_process(cmd, env) as server:
        yield Server(server.url, server.port, server.pid)


def read_reply(sock: socket.socket, seconds: float) -> bytes:
    """What the server sends until it closes the connection (or `seconds` pass)."""
    sock.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:  # reset: the server closed with our unread bytes in its buffer
            return data + b"<closed>"
        if not chunk:
            return data + b"<closed>"
        data += chunk
    return data


def send_until_refused(sock: socket.socket, head: bytes, chunk: bytes, limit: int) -> int:
    """Send `head`, then `chunk` until `limit` bytes or the server stops reading; bytes sent."""
    sock.sendall(head)
    sock.settimeout(2)
    sent = 0
    try:
        while sent < limit:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:  # reset, broken pipe, or a full window the server stopped draining
        pass
    return sent


def test_a_huge_header_is_431_and_closed(server: Server) -> None:
    peak = server.peak_rss_mib()
    before = server.counted(431)
    with server.connect() as sock:
        head = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: "
        sent = send_until_refused(sock, head, b"a" * MIB, 64 * MIB)
        reply = read_reply(sock, 5)
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    assert reply.endswith(b"<closed>")
    assert sent < 16 * MIB, f"the server read {sent >> 20} MiB of one header"
    assert server.peak_rss_mib() - peak < 16, "one header grew the server's memory"
    assert server.counted(431) == before + 1


def test_slowloris_headers_get_408_and_are_closed(server: Server) -> None:
    before = server.counted(408)
    with server.connect() as sock:
        sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        sock.settimeout(0.2)
        reply = b""
        for i in range(50):  # one header line every 0.2 s: 10 s at most
            try:
                sock.sendall(f"X-{i}: y\r\n".encode())
                reply += sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if reply:
                break
        elapsed = time.monotonic() - start
        reply += read_reply(sock, 2)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert elapsed < TIMEOUT + 2
    assert server.counted(408) >= before + 1


def test_an_idle_connection_is_closed(server: Server) -> None:
    with server.connect() as sock:
        start = time.monotonic()
        reply = read_reply(sock, TIMEOUT + 5)
    assert reply.endswith(b"<closed>") and time.monotonic() - start < TIMEOUT + 3


def test_a_half_sent_body_gets_408_and_is_closed(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(
            b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n" + b"[" * 1000
        )
        start = time.monotonic()
        reply = read_reply(sock, TIMEOUT + 5)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert reply.endswith(b"<closed>") and time.monotonic() - start < TIMEOUT + 3


def test_many_half_sent_bodies_stay_within_the_buffer_budget(server: Server) -> None:
    peak = server.peak_rss_mib()
    socks = [server.connect() for _ in range(12)]
    try:
        head = (
            b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4000000\r\n\r\n"
        )
        for sock in socks:  # 12 x 3.5 MiB = 42 MiB offered, the budget is 24 MiB
            send_until_refused(sock, head, b" " * (512 << 10), 3 * MIB + (512 << 10))
        grown = server.peak_rss_mib() - peak
        replies = [read_reply(sock, TIMEOUT + 5) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert grown < BUFFERED / MIB + 24, f"peak RSS grew {grown:.0f} MiB"
    assert all(r.endswith(b"<closed>") for r in replies), [r[:40] for r in replies]
    assert any(r.startswith(b"HTTP/1.1 503") for r in replies)


def test_a_rejected_body_stops_being_read(server: Server) -> None:
    with server.connect() as sock:
        head = (
            b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
        start = time.monotonic()
        sent = send_until_refused(sock, head, chunk, 256 * MIB)
        elapsed = time.monotonic() - start
        reply = read_reply(sock, 3)
    assert reply.startswith(b"HTTP/1.1 415"), reply[:200]
    assert sent < 32 * MIB and elapsed < TIMEOUT + 3, f"{sent >> 20} MiB in {elapsed:.1f} s"


def test_connections_over_the_cap_get_503(server: Server) -> None:
    idle = [server.connect() for _ in range(CONNECTIONS)]
    try:
        time.sleep(0.2)
        with server.connect() as sock:
            sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = read_reply(sock, 2)
        assert reply.startswith(b"HTTP/1.1 503"), reply[:200]
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(f"{server.url}/v2/health/live", timeout=5).status_code == 200
