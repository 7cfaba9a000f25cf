"""A recording HTTP stand-in on 127.0.0.1 (GitHub's API, a registry, a webhook receiver).

Each request is recorded with its JSON (or text) body; the answer comes from the first
route whose method and path pattern match, else 404, so a workflow calling something the
test did not expect fails visibly rather than silently succeeding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import send_json, serve_state

Answer = tuple[int, Any]


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Recorder:
    """Routes: (METHOD, path regex) -> an answer or a function of the request."""

    url: str = ""
    routes: list[tuple[str, re.Pattern[str], Answer | Callable[[Request], Answer]]] = field(
        default_factory=list
    )
    requests: list[Request] = field(default_factory=list)

    def route(self, method: str, pattern: str,
              answer: Answer | Callable[[Request], Answer]) -> None:  # fmt: skip
        """Answer `method` requests whose whole path matches `pattern`."""
        self.routes.append((method.upper(), re.compile(pattern), answer))

    def answer(self, req: Request) -> Answer:
        for method, pattern, answer in self.routes:
            if method == req.method and pattern.fullmatch(req.path.split("?")[0]):
                return answer(req) if callable(answer) else answer
        return 404, {"message": f"stand-in: no route for {req.method} {req.path}"}

    def calls(self, method: str, pattern: str) -> list[Request]:
        """Recorded requests matching a method and a path regex."""
        rx = re.compile(pattern)
        return [r for r in self.requests if r.method == method and rx.fullmatch(r.path)]


def _handler(state: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw
            req = Request(self.command, self.path, dict(self.headers.items()), body)
            state.requests.append(req)
            send_json(self, *state.answer(req))

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            return  # the recorded requests are the log

    return Handler


def recording_server() -> AbstractContextManager[Recorder]:
    """Serve a Recorder on 127.0.0.1 (a free port) for the duration of the block."""
    return serve_state(Recorder(), _handler)
