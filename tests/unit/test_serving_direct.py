"""The direct path: the connection answers a plain request itself, without an ASGI cycle.

The guarded protocol is driven in process with a recording transport, once with the server
(direct) and once without it (every request through uvicorn's ASGI cycle): both must send
the same answers, and the direct one must send each in one write with no task.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import uvloop
from uvicorn.config import Config
from uvicorn.server import ServerState

from model.serving.app import ModelServer
from model.serving.guard import guarded
from tests.unit.serving_helpers import MODEL, contract_of, read_rows, serving_app, to_tensors
from tests.unit.test_serving_keep_alive import Transport
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit
DATE = re.compile(rb"date: [^\r]*\r\n")
JSON_TYPE = "Content-Type: application/json"


def request(method: str, path: str, body: bytes = b"", *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: x", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def post_json(path: str, payload: Any, *headers: str) -> bytes:
    return request("POST", path, json.dumps(payload).encode(), JSON_TYPE, *headers)


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel) -> list[dict[str, Any]]:
    return read_rows(tiny_model.test_csv, contract_of(tiny_model.models))[:3]


@pytest.fixture
def app(tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with serving_app(tiny_model.models, monkeypatch) as server:
        yield server


class Connection:
    """One connection of the guarded protocol over a recording transport, on a live loop."""

    def __init__(self, app: ModelServer, direct: bool) -> None:
        config = Config(app=app, access_log=False, log_level="warning", limit_concurrency=8)
        config.load()
        cls = guarded(app.limits, app.count_rejected, app if direct else None)
        self.proto: Any = cls(config=config, server_state=ServerState(), app_state={})
        self.transport = Transport()
        self.proto.connection_made(self.transport)

    async def send(self, data: bytes, answers: int = 1) -> list[bytes]:
        """Feed `data`; the responses sent once `answers` of them are complete."""
        self.proto.data_received(data)
        for _ in range(50):  # an ASGI cycle needs a few loop turns; the direct path none
            found = responses(self.transport.sent, bodiless=data.startswith(b"HEAD "))
            if len(found) >= answers:
                return found
            await asyncio.sleep(0)
        raise AssertionError(f"{answers} answer(s) expected: {self.transport.sent!r}")


def responses(sent: bytes, bodiless: bool = False) -> list[bytes]:
    """Complete responses in `sent`, the date header removed (it is the only clock in them);
    `bodiless`: answers to HEAD, whose content-length describes a body not sent."""
    out, rest = [], DATE.sub(b"", sent)
    while rest:
        head, sep, body = rest.partition(b"\r\n\r\n")
        if not sep:
            break
        found = re.search(rb"content-length: (\d+)", head, re.I)
        length = int(found.group(1)) if found and not bodiless else 0  # an interim 100: none
        if len(body) < length:
            break
        out.append(head + sep + body[:length])
        rest = body[length:]
    return out


def both(app: ModelServer, data: bytes, answers: int = 1) -> tuple[list[bytes], list[bytes]]:
    """The same bytes through a direct and an ASGI-only connection: (direct, asgi)."""

    async def main() -> tuple[list[bytes], list[bytes]]:
        got = []
        for direct in (True, False):
            conn = Connection(app, direct)
            try:
                got.append(await conn.send(data, answers))
            finally:
                conn.proto.connection_lost(None)
        return got[0], got[1]

    return uvloop.run(main())


def cases(rows: list[dict[str, Any]], tensors: list[dict[str, Any]]) -> dict[str, bytes]:
    bad = dict(rows[0], Age="old")
    return {
        "predict": post_json("/v1/predict", {"instances": rows}),
        "predict, a bad field (422)": post_json("/v1/predict", {"instances": [bad]}),
        "predict, not JSON (400)": request("POST", "/v1/predict", b"{", JSON_TYPE),
        "health": request("GET", "/v2/health/ready"),
        "HEAD": request("HEAD", "/v2/health/live"),
        "GET on a POST route (405)": request("GET", "/v1/predict"),
        "unknown route (404)": request("GET", "/nowhere"),
        "media type refused (415)": request("POST", "/v1/predict", b"x", "Content-Type: text/csv"),
        "model metadata": request("GET", f"/v2/models/{MODEL}"),
        "a query string": request("GET", "/v2/health/live?probe=1"),
        "OIP infer": post_json(f"/v2/models/{MODEL}/infer", {"id": "r", "inputs": tensors}),
        "OIP infer, unknown model (404)": post_json("/v2/models/nope/infer", {"inputs": tensors}),
        "chunked body": request("POST", "/v1/predict", b"", "Transfer-Encoding: chunked")
        .replace(b"Content-Length: 0\r\n", b"") + b"1\r\n{\r\n0\r\n\r\n",
    }  # fmt: skip


def test_direct_answers_equal_the_asgi_answers(
    app: ModelServer, rows: list[dict], tiny_model: TinyModel
) -> None:
    tensors = to_tensors(rows, contract_of(tiny_model.models))
    for name, data in cases(rows, tensors).items():
        direct, asgi = both(app, data)
        assert direct == asgi, name


def test_a_scoring_request_is_one_write_and_no_task(app: ModelServer, rows: list[dict]) -> None:
    async def main() -> None:
        conn = Connection(app, direct=True)
        conn.proto.data_received(post_json("/v1/predict", {"instances": rows}))
        # answered before the loop ran anything: no task, one write, the connection kept
        assert not conn.proto.tasks and len(conn.transport.calls) == 1
        (answer,) = responses(conn.transport.sent)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and not conn.transport.closed
        assert len(json.loads(answer.partition(b"\r\n\r\n")[2])["predictions"]) == len(rows)
        conn.proto.connection_lost(None)

    uvloop.run(main())


def test_pipelined_requests_are_answered_in_order(app: ModelServer, rows: list[dict]) -> None:
    first = post_json("/v1/predict", {"instances": rows[:1]})
    second = post_json("/v1/predict", {"instances": rows[:2]})
    direct, asgi = both(app, first + request("GET", "/v2/health/live") + second, answers=3)
    assert direct == asgi and len(direct) == 3
    counts = [len(json.loads(a.partition(b"\r\n\r\n")[2])["predictions"]) for a in direct[::2]]
    assert counts == [1, 2]


@pytest.mark.parametrize(
    ("version", "header"), [("HTTP/1.1", "Connection: close"), ("HTTP/1.0", "X: y")]
)
def test_a_client_that_will_not_keep_alive_is_closed_after_its_answer(
    app: ModelServer, rows: list[dict], version: str, header: str
) -> None:
    data = post_json("/v1/predict", {"instances": rows}, header)
    data = data.replace(b"HTTP/1.1", version.encode(), 1)

    async def main() -> None:
        conn = Connection(app, direct=True)
        (answer,) = await conn.send(data)
        assert b"connection: close\r\n" in answer and conn.transport.closed
        conn.proto.connection_lost(None)

    uvloop.run(main())


def test_a_body_in_pieces_is_answered_once_whole(app: ModelServer, rows: list[dict]) -> None:
    data = post_json("/v1/predict", {"instances": rows})

    async def main() -> None:
        conn = Connection(app, direct=True)
        conn.proto.data_received(data[:-10])
        assert app.budget.used > 0 and not conn.transport.calls  # buffered within the budget
        (answer,) = await conn.send(data[-10:])
        assert answer.startswith(b"HTTP/1.1 200 OK") and app.budget.used == 0
        conn.proto.connection_lost(None)

    uvloop.run(main())


def test_a_client_gone_mid_body_gives_its_bytes_back_and_is_counted(
    app: ModelServer, rows: list[dict]
) -> None:
    async def main() -> None:
        conn = Connection(app, direct=True)
        conn.proto.data_received(post_json("/v1/predict", {"instances": rows})[:-10])
        conn.proto.connection_lost(None)

    uvloop.run(main())
    assert app.budget.used == 0
    assert re.search(rb'route="/v1/predict",status="499"} 1', app.metrics.render())


def test_bodies_over_the_shared_budget_get_503_and_close(
    app: ModelServer, rows: list[dict]
) -> None:
    data = post_json("/v1/predict", {"instances": rows})
    app.budget.limit = len(data) // 2  # one half-sent body fits, the next does not

    async def main() -> None:
        conn = Connection(app, direct=True)
        conn.proto.data_received(data)
        assert conn.transport.sent.startswith(b"HTTP/1.1 503") and conn.transport.closed
        conn.proto.connection_lost(None)

    uvloop.run(main())
    assert app.budget.used == 0
    counted = app.metrics.render()
    assert re.search(rb'route="/v1/predict",status="503"} 1', counted)
    assert b'status="400"' not in counted  # the rest of the refused body is not parsed as HTTP


def test_direct_answers_are_counted_by_route_and_status(app: ModelServer, rows: list[dict]) -> None:
    both(app, post_json("/v1/predict", {"instances": rows}))  # once direct, once through ASGI
    assert re.search(rb'method="POST",route="/v1/predict",status="200"} 2', app.metrics.render())


def test_expect_100_continue_takes_the_asgi_path(app: ModelServer, rows: list[dict]) -> None:
    data = post_json("/v1/predict", {"instances": rows}, "Expect: 100-continue")
    direct, asgi = both(app, data, answers=2)
    assert direct == asgi and direct[0].startswith(b"HTTP/1.1 100 Continue")
    assert direct[1].startswith(b"HTTP/1.1 200 OK")


def test_each_answer_carries_the_current_date(app: ModelServer, rows: list[dict]) -> None:
    """uvicorn swaps in a new default-headers list (its date) every second; the head is kept
    per list, so an answer after a swap carries the new date."""
    data = post_json("/v1/predict", {"instances": rows})

    async def main() -> list[bytes]:
        conn = Connection(app, direct=True)
        dates = []
        for stamp in (b"Mon, 01 Jan 2024 00:00:00 GMT", b"Mon, 01 Jan 2024 00:00:01 GMT"):
            conn.proto.server_state.default_headers = [(b"date", stamp)]
            conn.transport.calls.clear()
            conn.proto.data_received(data)
            dates.append(re.search(rb"\r\ndate: ([^\r]*)\r\n", conn.transport.sent).group(1))  # type: ignore[union-attr]
        conn.proto.connection_lost(None)
        return dates

    assert uvloop.run(main()) == [
        b"Mon, 01 Jan 2024 00:00:00 GMT",
        b"Mon, 01 Jan 2024 00:00:01 GMT",
    ]
