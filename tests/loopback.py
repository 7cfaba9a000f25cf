"""Helpers for servers on 127.0.0.1 in tests: serve a handler, run a server process, wait for
readiness, read its counters, call MLflow."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import tempfile
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol, TypeVar

import httpx

from model.proc import NotReady, free_port, wait_http


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free 127.0.0.1 port for the block; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: object) -> None:
    """Answer the handler's request with `payload` as JSON (and its Content-Length)."""
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class Stateful(Protocol):
    """A stand-in's state: what its handler answers from and records into, and its URL."""

    url: str


State = TypeVar("State", bound=Stateful)


@contextmanager
def serve_state(
    state: State, handler: Callable[[State], type[BaseHTTPRequestHandler]]
) -> Iterator[State]:
    """Serve `handler(state)` on a free 127.0.0.1 port for the block; yield `state`, url set."""
    with serve_handler(handler(state)) as url:
        state.url = url
        yield state


@dataclass(frozen=True)
class ServerProcess:
    """A server process answering on 127.0.0.1."""

    url: str
    port: int
    pid: int


@contextmanager
def server_process(
    cmd: Sequence[str], env: Mapping[str, str], timeout: float = 30
) -> Iterator[ServerProcess]:
    """Run `cmd --port P` (P free) until /v2/health/ready answers; SIGTERM it after the block."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: nobody reads while it serves
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)], env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            try:
                wait_http(f"{url}/v2/health/ready", timeout, alive=lambda: proc.poll() is None)
            except NotReady as exc:
                log.seek(0)
                said = log.read()[-4000:].decode(errors="replace")
                raise AssertionError(f"expected a ready server: {exc}; it said:\n{said}") from exc
            yield ServerProcess(url, port, proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def counted(url: str, status: int) -> int:
    """Responses with `status` that the server's /metrics has counted."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    found = re.findall(rf'^model_http_requests_total\{{.*status="{status}".*\}} (\S+)$', text, re.M)
    return int(sum(float(v) for v in found))


def wait_ready(url: str, path: str = "/v2/health/ready", timeout: float = 30) -> None:
    """Poll `url + path` until it answers 200; fail the test if `timeout` passes first."""
    try:
        wait_http(f"{url}{path}", timeout)
    except NotReady as exc:
        raise AssertionError(f"expected 200 from {url}{path}: {exc}") from exc


def mlflow_api(uri: str, method: str, path: str, body: dict[str, object]) -> dict[str, object]:
    """Call MLflow's REST API 2.0 (GET bodies go in the query string) and return its JSON."""
    url, data = f"{uri}/api/2.0/mlflow/{path}", None
    if method == "GET":
        url += "?" + urllib.parse.urlencode(body)
    else:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())
