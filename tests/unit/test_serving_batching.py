"""Single-row /v1/predict requests read in one loop turn share one ONNX run (asgi.flush).

Each test drives several connections of the guarded protocol in process, feeds them in one
loop turn, and checks what each connection was sent against the same request answered on
its own: the scores must not depend on which requests shared a run.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import uvloop

from model.serving.app import ModelServer
from model.serving.asgi import Batch
from model.serving.schema import RequestError
from tests.unit.serving_helpers import contract_of, read_rows, serving_app
from tests.unit.test_serving_direct import Connection, post_json, request, responses
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel) -> list[dict[str, Any]]:
    return read_rows(tiny_model.test_csv, contract_of(tiny_model.models))[:6]


@pytest.fixture
def app(tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with serving_app(tiny_model.models, monkeypatch) as server:
        yield server


def runs_of(app: ModelServer) -> list[int]:
    """Record the row count of every model run /v1/predict's batches make."""
    sizes: list[int] = []
    batch = app.batched[app.predict]

    def score(columns: dict[str, list[Any]], n: int) -> list[float]:
        sizes.append(n)
        return batch.score(columns, n)

    app.batched = {app.predict: Batch(batch.rows, score, batch.answer)}
    return sizes


def body_of(answer: bytes) -> Any:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


def alone(app: ModelServer, row: dict[str, Any]) -> Any:
    """The prediction for `row` answered on its own (no batch: the handler itself)."""
    return json.loads(app.predict(json.dumps({"instances": [row]}).encode(), "")[1])


async def one_turn(app: ModelServer, payloads: list[bytes]) -> list[Connection]:
    """One connection per payload, all fed before the loop runs anything."""
    conns = [Connection(app, direct=True) for _ in payloads]
    for conn, data in zip(conns, payloads, strict=True):
        conn.proto.data_received(data)
    return conns


def test_single_rows_read_in_one_turn_share_one_run_and_keep_their_scores(
    app: ModelServer, rows: list[dict]
) -> None:
    sizes = runs_of(app)

    async def main() -> list[bytes]:
        conns = await one_turn(app, [post_json("/v1/predict", {"instances": [r]}) for r in rows])
        assert not any(c.transport.calls for c in conns)  # waiting for the turn's batch
        await asyncio.sleep(0)
        answers = [responses(c.transport.sent) for c in conns]
        assert all(len(a) == 1 for a in answers)
        assert all(len(c.transport.calls) == 1 for c in conns)
        for conn in conns:
            assert not conn.transport.closed
            conn.proto.connection_lost(None)
        return [a[0] for a in answers]

    answers = uvloop.run(main())
    assert sizes == [len(rows)]
    for row, answer in zip(rows, answers, strict=True):
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert body_of(answer) == alone(app, row)
    text = app.metrics.render()
    scored = re.search(rb"model_rows_scored_total\{[^}]*\} (\S+)", text)
    runs = re.search(rb"model_scoring_runs_total\{[^}]*\} (\S+)", text)
    assert scored and float(scored.group(1)) == len(rows) + len(rows)  # batched, then alone
    assert runs and float(runs.group(1)) == 1 + len(rows)


def test_a_lone_request_is_answered_in_the_same_turn(app: ModelServer, rows: list[dict]) -> None:
    sizes = runs_of(app)

    async def main() -> bytes:
        (conn,) = await one_turn(app, [post_json("/v1/predict", {"instances": rows[:1]})])
        await asyncio.sleep(0)
        (answer,) = responses(conn.transport.sent)
        conn.proto.connection_lost(None)
        return answer

    assert body_of(uvloop.run(main())) == alone(app, rows[0])
    assert sizes == [1]


def test_a_second_request_on_the_connection_is_answered_after_the_first(
    app: ModelServer, rows: list[dict]
) -> None:
    """Pipelined: the waiting answer goes out before anything the next request causes,
    including a reply uvicorn writes at once (400 for bytes that are not HTTP)."""
    first = post_json("/v1/predict", {"instances": rows[:1]})

    async def main() -> list[bytes]:
        (conn,) = await one_turn(app, [first + request("GET", "/v2/health/live") + b"NOT HTTP"])
        await asyncio.sleep(0)
        conn.proto.connection_lost(None)
        return responses(conn.transport.sent)

    answers = uvloop.run(main())
    assert [a.split(b" ", 2)[1] for a in answers] == [b"200", b"200", b"400"]
    assert body_of(answers[0]) == alone(app, rows[0]) and body_of(answers[1]) == {"live": True}


def test_a_connection_gone_before_the_batch_is_counted_and_the_others_answered(
    app: ModelServer, rows: list[dict]
) -> None:
    async def main() -> list[Connection]:
        conns = await one_turn(app, [post_json("/v1/predict", {"instances": [r]}) for r in rows])
        conns[1].proto.connection_lost(None)
        conns[1].transport.closed = True
        await asyncio.sleep(0)
        return conns

    conns = uvloop.run(main())
    assert not conns[1].transport.calls
    assert all(len(responses(c.transport.sent)) == 1 for i, c in enumerate(conns) if i != 1)
    counted = app.metrics.render()
    assert re.search(rb'route="/v1/predict",status="499"} 1', counted)
    assert re.search(rb'route="/v1/predict",status="200"} %d' % (len(rows) - 1), counted)


@pytest.mark.parametrize(
    ("raised", "status"),
    [(RequestError(503, "model not ready: gone"), b"503"), (ZeroDivisionError("bug"), b"500")],
)
def test_a_failed_batch_answers_every_request_and_the_worker_goes_on(
    app: ModelServer, rows: list[dict], raised: Exception, status: bytes
) -> None:
    batch = app.batched[app.predict]

    def score(columns: dict[str, list[Any]], n: int) -> list[float]:
        raise raised

    app.batched = {app.predict: Batch(batch.rows, score, batch.answer)}

    async def main() -> list[list[bytes]]:
        conns = await one_turn(app, [post_json("/v1/predict", {"instances": [r]}) for r in rows])
        await asyncio.sleep(0)
        conns[0].proto.data_received(request("GET", "/v2/health/live"))  # still served
        return [responses(c.transport.sent) for c in conns]

    answers = uvloop.run(main())
    assert all(a[0].split(b" ", 2)[1] == status for a in answers)
    assert len(answers[0]) == 2 and answers[0][1].startswith(b"HTTP/1.1 200 OK")


def test_a_batched_client_that_will_not_keep_alive_is_closed_after_its_answer(
    app: ModelServer, rows: list[dict]
) -> None:
    data = post_json("/v1/predict", {"instances": rows[:1]}, "Connection: close")

    async def main() -> tuple[list[bytes], bool]:
        keep, close = await one_turn(
            app, [post_json("/v1/predict", {"instances": rows[1:2]}), data]
        )
        await asyncio.sleep(0)
        assert not keep.transport.closed
        return responses(close.transport.sent), close.transport.closed

    (answer,), closed = uvloop.run(main())
    assert closed and b"connection: close\r\n" in answer
    assert body_of(answer) == alone(app, rows[0])


def test_multi_row_and_invalid_requests_are_answered_at_once(
    app: ModelServer, rows: list[dict]
) -> None:
    sizes = runs_of(app)
    bad = post_json("/v1/predict", {"instances": [dict(rows[0], Age="old")]})

    async def main() -> None:
        several, refused = await one_turn(
            app, [post_json("/v1/predict", {"instances": rows[:3]}), bad]
        )
        # checked before the loop turns: answered while their data was read
        assert sizes == [3]
        assert len(body_of(responses(several.transport.sent)[0])["predictions"]) == 3
        assert responses(refused.transport.sent)[0].startswith(b"HTTP/1.1 422")

    uvloop.run(main())
