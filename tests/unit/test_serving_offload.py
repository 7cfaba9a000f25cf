"""Large batches are scored on the scoring thread, so the loop keeps answering (offload.py).

Each test drives the guarded protocol in process (tests/unit/test_serving_direct.py's
Connection), on the direct path and on the ASGI path, with the model's run held on a gate:
while a batch is held, other connections must be answered, and the batch's answer must be
the one the same request gets with offloading off.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import uvloop

from model.serving.app import ModelServer
from model.serving.inference import OnnxModel
from model.serving.limits import DEFAULT_OFFLOAD_ROWS, Limits
from model.serving.repository_app import create_repository_app
from model.serving.schema import RequestError
from tests.unit.serving_helpers import (
    MODEL,
    SERVING_ENV,
    Client,
    contract_of,
    read_rows,
    serving_app,
    to_tensors,
)
from tests.unit.test_serving_direct import Connection, post_json, request, responses
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit
OFFLOAD = 4  # rows from which these tests' app offloads
HELD = 5.0  # seconds a gate holds at most: a test that fails must not hang


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel) -> list[dict[str, Any]]:
    return read_rows(tiny_model.test_csv, contract_of(tiny_model.models))[:6]


@pytest.fixture
def app(tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with serving_app(tiny_model.models, monkeypatch) as server:
        server.limits = replace(server.limits, offload_rows=OFFLOAD)
        yield server


class Gate:
    """Wraps the model's `scores`: records the thread of each run and holds it until opened."""

    def __init__(self, app: ModelServer, fail: Exception | None = None) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()
        self.threads: list[str] = []
        original: Callable[..., list[float]] = app.model.scores

        def scores(columns: dict[str, list[Any]], n: int) -> list[float]:
            self.threads.append(threading.current_thread().name)
            self.entered.set()
            self.opened.wait(HELD)
            if fail is not None:
                raise fail
            return original(columns, n)

        app.model.scores = scores

    async def entered_run(self) -> None:
        for _ in range(500):
            if self.entered.is_set():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the model run never started")


def infer(rows: list[dict[str, Any]]) -> bytes:
    inputs = [
        {"name": k, "shape": [len(rows)], "datatype": "BYTES" if isinstance(v, str) else "FP64",
         "data": [r[k] for r in rows]}
        for k, v in rows[0].items()
    ]  # fmt: skip
    return post_json(f"/v2/models/{MODEL}/infer", {"inputs": inputs})


def predict(rows: list[dict[str, Any]]) -> bytes:
    return post_json("/v1/predict", {"instances": rows})


def body_of(answer: bytes) -> Any:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


async def answered(conn: Connection, count: int = 1) -> list[bytes]:
    """The connection's responses once `count` are complete (the scoring thread may lag)."""
    for _ in range(500):
        found = responses(conn.transport.sent)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} answer(s) expected: {conn.transport.sent!r}")


def batches_on_the_thread(app: ModelServer) -> float:
    found = re.search(rb"\nmodel_scoring_thread_batches (\S+)", app.metrics.render())
    assert found, "model_scoring_thread_batches is not exported"
    return float(found.group(1))


def on_the_loop(app: ModelServer, data: bytes) -> Any:
    """The body of the answer to `data` with offloading off (the loop scores it)."""
    limits, app.limits = app.limits, replace(app.limits, offload_rows=0)

    async def main() -> list[bytes]:
        return await Connection(app, direct=True).send(data)

    try:
        return body_of(uvloop.run(main())[0])
    finally:
        app.limits = limits


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "asgi"])
@pytest.mark.parametrize("make", [infer, predict], ids=["v2-infer", "v1-predict"])
def test_a_held_batch_leaves_the_loop_answering_other_connections(
    app: ModelServer, rows: list[dict], direct: bool, make: Callable[[list[dict]], bytes]
) -> None:
    data = make(rows)
    expected = on_the_loop(app, data)
    gate = Gate(app)

    async def main() -> tuple[list[bytes], list[bytes], int, float]:
        batch, other = Connection(app, direct), Connection(app, direct=True)
        batch.proto.data_received(data)
        await gate.entered_run()
        held_budget, held = app.budget.used, batches_on_the_thread(app)
        assert not batch.transport.sent  # its answer waits for the run
        ready = await other.send(request("GET", "/v2/health/ready"))  # answered meanwhile
        gate.opened.set()
        return await answered(batch), ready, held_budget, held

    (answer,), (ready,), held_budget, held = uvloop.run(main())
    assert held == 1 and batches_on_the_thread(app) == 0
    assert ready.startswith(b"HTTP/1.1 200 OK")
    assert answer.startswith(b"HTTP/1.1 200 OK") and body_of(answer) == expected
    assert gate.threads and all(t.startswith("scoring") for t in gate.threads)
    assert held_budget >= len(data.partition(b"\r\n\r\n")[2])  # counted while it waited
    assert app.budget.used == 0


def test_requests_below_the_threshold_are_scored_on_the_loop(
    app: ModelServer, rows: list[dict]
) -> None:
    gate = Gate(app)
    gate.opened.set()

    async def main() -> list[bytes]:
        return await Connection(app, direct=True).send(infer(rows[: OFFLOAD - 1]))

    (answer,) = uvloop.run(main())
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert gate.threads == [threading.current_thread().name]


def test_a_pipelined_request_is_answered_after_the_offloaded_batch(
    app: ModelServer, rows: list[dict]
) -> None:
    expected = on_the_loop(app, infer(rows))
    Gate(app).opened.set()

    async def main() -> list[bytes]:
        conn = Connection(app, direct=True)
        conn.proto.data_received(infer(rows) + request("GET", "/v2/health/live"))
        return await answered(conn, 2)

    first, second = uvloop.run(main())
    assert body_of(first) == expected and body_of(second) == {"live": True}


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "asgi"])
@pytest.mark.parametrize(
    ("raised", "status"),
    [(RequestError(503, "model not ready: gone"), b"503"), (ZeroDivisionError("bug"), b"500")],
)
def test_an_offloaded_run_that_raises_answers_and_the_worker_goes_on(
    app: ModelServer, rows: list[dict], direct: bool, raised: Exception, status: bytes
) -> None:
    Gate(app, fail=raised).opened.set()

    async def main() -> list[bytes]:
        conn = Connection(app, direct)
        conn.proto.data_received(infer(rows))
        (failed,) = await answered(conn)
        live = await conn.send(request("GET", "/v2/health/live"), answers=2)
        return [failed, live[1]]

    failed, live = uvloop.run(main())
    assert failed.split(b" ", 2)[1] == status
    assert live.startswith(b"HTTP/1.1 200 OK")
    assert app.budget.used == 0


def test_a_connection_gone_before_its_offloaded_answer_is_counted_499(
    app: ModelServer, rows: list[dict]
) -> None:
    gate = Gate(app)

    async def main() -> Connection:
        conn = Connection(app, direct=True)
        conn.proto.data_received(infer(rows))
        await gate.entered_run()
        conn.proto.connection_lost(None)
        conn.transport.closed = True
        gate.opened.set()
        for _ in range(500):
            if re.search(rb'status="499"} 1', app.metrics.render()):
                break
            await asyncio.sleep(0.01)
        return conn

    conn = uvloop.run(main())
    assert not conn.transport.sent
    assert re.search(rb'route="/v2/models/\{name\}/infer",status="499"} 1', app.metrics.render())
    assert app.budget.used == 0


def test_an_offloaded_batch_is_counted_in_the_score_metrics(
    app: ModelServer, rows: list[dict]
) -> None:
    Gate(app).opened.set()

    async def main() -> list[bytes]:
        conn = Connection(app, direct=True)
        conn.proto.data_received(predict(rows))
        return await answered(conn)

    uvloop.run(main())
    scored = re.search(rb"model_rows_scored_total\{[^}]*\} (\S+)", app.metrics.render())
    assert scored and float(scored.group(1)) == len(rows)


def test_one_row_stays_on_the_loop_whatever_the_threshold(
    app: ModelServer, rows: list[dict]
) -> None:
    """One-row runs fill a feed shared between models: the scoring thread must never fill it
    while the loop does (MODEL_OFFLOAD_ROWS=1 would have sent every row there)."""
    app.limits = replace(app.limits, offload_rows=1)
    gate = Gate(app)
    gate.opened.set()

    async def main() -> list[bytes]:
        return await Connection(app, direct=True).send(infer(rows[:1]))

    (answer,) = uvloop.run(main())
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert gate.threads == [threading.current_thread().name]


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, DEFAULT_OFFLOAD_ROWS), ("0", 0), ("1000", 1000)]
)
def test_the_offload_threshold_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str | None, expected: int
) -> None:
    if raw is None:
        monkeypatch.delenv("MODEL_OFFLOAD_ROWS", raising=False)
    else:
        monkeypatch.setenv("MODEL_OFFLOAD_ROWS", raw)
    limits = Limits.from_env()
    assert limits.offload_rows == expected
    assert limits.offloads(10_000) is (expected > 0)
    assert not limits.offloads(expected - 1)


@pytest.mark.parametrize("raw", ["-1", "many", "nan"])
def test_a_bad_offload_threshold_is_a_start_up_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("MODEL_OFFLOAD_ROWS", raw)
    with pytest.raises(ValueError, match="MODEL_OFFLOAD_ROWS"):
        Limits.from_env()


def test_the_repository_server_offloads_a_large_batch(
    tiny_model: TinyModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict]
) -> None:
    for name in (*SERVING_ENV, "MODEL_MEMORY_BUDGET", "MODEL_REQUIRE_PIN"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(tiny_model.models, tmp_path / "repo" / "a")
    threads: list[str] = []
    original = OnnxModel.scores

    def scores(self: OnnxModel, columns: dict[str, list[Any]], n: int) -> list[float]:
        threads.append(threading.current_thread().name)
        return original(self, columns, n)

    monkeypatch.setattr(OnnxModel, "scores", scores)
    body = {"inputs": to_tensors(rows, contract_of(tiny_model.models))}
    answers = []
    for offload in ("0", str(OFFLOAD)):
        monkeypatch.setenv("MODEL_OFFLOAD_ROWS", offload)
        client = Client(create_repository_app(tmp_path / "repo"))
        try:
            reply = client.post("/v2/models/a/infer", json=body)
        finally:
            client.close()
        assert reply.status_code == 200, reply.text
        answers.append(reply.json()["outputs"])
    assert answers[0] == answers[1]
    assert threads[0] == threading.current_thread().name and threads[1].startswith("scoring")


def test_a_graceful_shutdown_answers_the_held_batch_then_closes(
    app: ModelServer, rows: list[dict]
) -> None:
    """uvicorn's shutdown closed every connection without an ASGI cycle in flight: a batch
    on the scoring thread (or a direct request whose body was still arriving) lost its answer."""
    gate = Gate(app)

    async def main() -> tuple[bool, list[bytes], bool]:
        conn = Connection(app, direct=True)
        conn.proto.data_received(infer(rows))
        await gate.entered_run()
        conn.proto.shutdown()
        closed_early = conn.transport.closed
        gate.opened.set()
        return closed_early, await answered(conn), conn.transport.closed

    closed_early, (answer,), closed = uvloop.run(main())
    assert not closed_early
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"connection: close\r\n" in answer.lower()
    assert closed


def test_a_graceful_shutdown_lets_a_direct_body_finish_arriving(
    app: ModelServer, rows: list[dict]
) -> None:
    data = predict(rows[:1])
    head, body = data.split(b"\r\n\r\n", 1)

    async def main() -> tuple[bool, list[bytes], bool]:
        conn = Connection(app, direct=True)
        conn.proto.data_received(head + b"\r\n\r\n" + body[:5])
        conn.proto.shutdown()
        closed_early = conn.transport.closed
        conn.proto.data_received(body[5:])
        return closed_early, await answered(conn), conn.transport.closed

    closed_early, (answer,), closed = uvloop.run(main())
    assert not closed_early
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"connection: close\r\n" in answer.lower()
    assert closed
