"""A recording stand-in for the part of GitHub's REST API that opens pull requests.

It runs in a thread on 127.0.0.1 and keeps pull requests in memory, so tests assert what a
workflow or `model promote --open-pr` would have sent to GitHub. `refuse` makes every write
answer with a status and GitHub's own message (e.g. 403 "not permitted to create ...").
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback import send_json, serve_state

FORBIDDEN = "GitHub Actions is not permitted to create or approve pull requests."
_PULLS = re.compile(r"^/repos/([^/]+)/([^/]+)/pulls(?:/(\d+))?$")
_ISSUES = re.compile(r"^/repos/([^/]+)/([^/]+)/issues(?:/(\d+)/comments)?$")


@dataclass
class Recorded:
    """One request as GitHub would have received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeGitHub:
    """State of the stand-in: pull requests by number, every request, an optional refusal."""

    url: str = ""
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # with their "comments"
    requests: list[Recorded] = field(default_factory=list)
    refuse: tuple[int, str] | None = None

    def writes(self) -> list[Recorded]:
        """POST and PATCH requests only."""
        return [r for r in self.requests if r.method in ("POST", "PATCH")]


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silence the default stderr access log."""

        def _reply(self, status: int, payload: object) -> None:
            send_json(self, status, payload)

        def _record(self) -> tuple[Recorded, re.Match[str] | None]:
            parts = urlsplit(self.path)
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size) if size else b""
            body = json.loads(raw) if raw else {}
            rec = Recorded(
                self.command, parts.path, parse_qs(parts.query), dict(self.headers), body
            )
            state.requests.append(rec)
            return rec, _PULLS.match(parts.path)

        def _issues(self, rec: Recorded, match: re.Match[str]) -> None:
            """GET (open, by label), POST an issue, POST a comment on one."""
            if rec.method == "GET":
                label = rec.query.get("labels", [""])[0]
                found = [
                    i for i in state.issues.values()
                    if i["state"] == "open" and (not label or label in i.get("labels", []))
                ]  # fmt: skip
                return self._reply(200, found)
            if state.refuse:
                return self._reply(state.refuse[0], {"message": state.refuse[1]})
            if match[3]:
                if int(match[3]) not in state.issues:
                    return self._reply(404, {"message": "Not Found"})
                state.issues[int(match[3])]["comments"].append(rec.body["body"])
                return self._reply(201, {"body": rec.body["body"]})
            number = len(state.issues) + 1
            url = f"https://github.test/{match[1]}/{match[2]}/issues/{number}"
            issue = {**rec.body, "number": number, "state": "open", "html_url": url}
            state.issues[number] = issue | {"comments": []}
            return self._reply(201, issue)

        def do_GET(self) -> None:
            rec, match = self._record()
            if issues := _ISSUES.match(rec.path):
                return self._issues(rec, issues)
            if not match:
                return self._reply(404, {"message": "Not Found"})
            head = rec.query.get("head", [""])[0]
            found = [
                pr
                for pr in state.pulls.values()
                if pr["state"] == "open" and f"{match[1]}:{pr['head']}" == head
            ]
            return self._reply(200, found)

        def do_POST(self) -> None:
            rec, match = self._record()
            if issues := _ISSUES.match(rec.path):
                return self._issues(rec, issues)
            if state.refuse:
                return self._reply(state.refuse[0], {"message": state.refuse[1]})
            if not match or match[3]:
                return self._reply(404, {"message": "Not Found"})
            head = rec.body.get("head", "")
            if any(p["head"] == head and p["state"] == "open" for p in state.pulls.values()):
                msg = f"A pull request already exists for {match[1]}:{head}."
                return self._reply(
                    422, {"message": "Validation Failed", "errors": [{"message": msg}]}
                )
            number = len(state.pulls) + 1
            pr = {**rec.body, "number": number, "state": "open"}
            pr["html_url"] = f"https://github.test/{match[1]}/{match[2]}/pull/{number}"
            state.pulls[number] = pr
            return self._reply(201, pr)

        def do_PATCH(self) -> None:
            rec, match = self._record()
            if state.refuse:
                return self._reply(state.refuse[0], {"message": state.refuse[1]})
            if not match or not match[3] or int(match[3]) not in state.pulls:
                return self._reply(404, {"message": "Not Found"})
            state.pulls[int(match[3])].update(rec.body)
            return self._reply(200, state.pulls[int(match[3])])

    return Handler


def serve() -> AbstractContextManager[FakeGitHub]:
    """Run the stand-in on an ephemeral 127.0.0.1 port for the duration of the block."""
    return serve_state(FakeGitHub(), _handler)
