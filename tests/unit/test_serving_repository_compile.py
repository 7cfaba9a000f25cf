"""Repository mode builds compiled scorers off the request path: a cold load never waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from model import config
from model.serving.repository_app import RepositoryServer
from tests.unit.serving_helpers import SERVING_ENV, Client, contract_of, read_rows, to_tensors
from tests.unit.test_serving_repository import make_repository
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


@pytest.fixture
def client(
    tiny_model: TinyModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Client]:
    for name in (*SERVING_ENV, "MODEL_MEMORY_BUDGET", "MODEL_REQUIRE_PIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(config.MODEL_COMPILED_TREES, raising=False)
    c = Client(RepositoryServer(make_repository(tiny_model, tmp_path / "repo", ["a", "b"])))
    yield c
    c.close()


def _infer(client: Client, tiny: TinyModel, name: str) -> list[float]:
    rows = read_rows(tiny.test_csv, contract_of(tiny.models))[:1]
    reply = client.post(
        f"/v2/models/{name}/infer", json={"inputs": to_tensors(rows, contract_of(tiny.models))}
    )
    assert reply.status_code == 200, reply.text
    probability = next(o for o in reply.json()["outputs"] if o["datatype"] == "FP64")
    return [float(v) for v in probability["data"]]


def _pending(client: Client) -> float:
    lines = client.get("/metrics").text.splitlines()
    return float(
        next(x for x in lines if x.startswith("model_repository_compiles_pending ")).split()[1]
    )


@contextmanager
def _compiler_held(client: Client) -> Iterator[None]:
    """The compile thread stays busy inside the block; on leaving, the queue drains."""
    gate = threading.Event()
    client.app.repository.compiler = ThreadPoolExecutor(1)
    client.app.repository.compiler.submit(gate.wait, 30)
    try:
        yield
    finally:
        gate.set()
    client.app.repository.compiler.shutdown(wait=True)


def test_a_cold_load_answers_with_onnx_runtime_while_its_scorer_compiles(
    client: Client, tiny_model: TinyModel
) -> None:
    with _compiler_held(client):
        before = _infer(client, tiny_model, "a")
        model = client.app.repository.resident["a"].model.model
        assert model.compiled is None and model.compile_pending
        assert _pending(client) == 1
    assert model.compiled is not None and not model.compile_pending
    assert _pending(client) == 0
    assert _infer(client, tiny_model, "a") == before  # the compiled answer is ONNX Runtime's


def test_closing_the_server_drops_compiles_not_yet_started(
    client: Client, tiny_model: TinyModel
) -> None:
    repository = client.app.repository
    with _compiler_held(client):
        _infer(client, tiny_model, "a")
        _infer(client, tiny_model, "b")
        queued = repository.resident["a"].model.model
        # a and b pin one digest: one shared load, so one compile queued behind the gate
        assert repository.resident["b"].model.model is queued
        assert _pending(client) == 1
        repository.close()
    assert queued.compiled is None and repository.compiling == 0


def test_a_model_unloaded_before_its_turn_is_not_compiled(
    client: Client, tiny_model: TinyModel
) -> None:
    with _compiler_held(client):
        _infer(client, tiny_model, "a")
        model = client.app.repository.resident["a"].model.model
        assert client.post("/v2/repository/models/a/unload").status_code == 200
    assert client.app.repository.compiling == 0
    assert model.compiled is None and not model.compile_pending


def test_model_compiled_trees_0_queues_no_compile(
    tiny_model: TinyModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*SERVING_ENV, "MODEL_MEMORY_BUDGET", "MODEL_REQUIRE_PIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(config.MODEL_COMPILED_TREES, "0")
    c = Client(RepositoryServer(make_repository(tiny_model, tmp_path / "repo", ["a"])))
    try:
        _infer(c, tiny_model, "a")
        model: Any = c.app.repository.resident["a"].model.model
        assert model.compiled is None and not model.compile_pending
        assert c.app.repository.compiler is None and _pending(c) == 0
    finally:
        c.close()
