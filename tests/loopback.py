"""Helpers for servers on 127.0.0.1 in tests: serve a handler, wait for readiness, call MLflow."""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol, TypeVar

from model.proc import NotReady, wait_http


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
