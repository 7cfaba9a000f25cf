"""`model serve --repository` as a real process, driven by tritonclient's repository calls."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.names import PIN_FILE
from tests.loopback import server_process
from tests.unit.serving_helpers import contract_of, read_rows, serving_env
from tests.unit.tiny_model import TinyModel

http = pytest.importorskip("tritonclient.http")
NAMES = ("a", "b", "c", "bad")


@pytest.fixture(scope="module")
def server(tiny_model: TinyModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Four registered models (one with a wrong pin), a budget of two, on a free port."""
    root = tmp_path_factory.mktemp("repository")
    lines = []
    for name in NAMES:
        shutil.copytree(tiny_model.models, root / name)
        digest = "0" * 64 if name == "bad" else tiny_model.digest
        lines.append(f"- {{name: {name}, uri: {name}, sha256: '{digest}'}}\n")
    (root / "bad" / PIN_FILE).write_text(tiny_model.digest)  # the index pin wins
    (root / "models.yaml").write_text("".join(lines))
    env = serving_env(MODEL_MEMORY_BUDGET="2", MODEL_REQUIRE_PIN="1")
    model = str(Path(sys.executable).parent / "model")
    cmd = [model, "serve", "--repository", str(root / "models.yaml")]
    with server_process(cmd, env) as server:
        yield f"127.0.0.1:{server.port}"


def _inputs(tiny: TinyModel) -> list[Any]:
    contract = contract_of(tiny.models)
    rows = read_rows(tiny.test_csv, contract)
    rows = [r for r in rows if None not in r.values()][:4]
    inputs = []
    for col in contract.features:
        values = [r[col.name] for r in rows]
        kind = {"category": (object, "BYTES"), "int": (np.int64, "INT64")}
        dtype, datatype = kind.get(col.kind, (np.float64, "FP64"))
        tensor = http.InferInput(col.name, [len(rows)], datatype)
        tensor.set_data_from_numpy(np.array(values, dtype=dtype))
        inputs.append(tensor)
    return inputs


def test_tritonclient_drives_the_repository(server: str, tiny_model: TinyModel) -> None:
    client = http.InferenceServerClient(server)
    assert client.is_server_ready()
    index = client.get_model_repository_index()
    assert [m["name"] for m in index] == list(NAMES)
    assert not client.is_model_ready("a")
    first = client.infer("a", _inputs(tiny_model)).as_numpy("probability")  # loads lazily
    assert first.shape == (4,) and client.is_model_ready("a")
    client.load_model("b")
    assert client.is_model_ready("b")
    second = client.infer("c", _inputs(tiny_model)).as_numpy("probability")
    assert np.array_equal(first, second)  # same bytes, same scores
    ready = {m["name"] for m in client.get_model_repository_index() if m["state"] == "READY"}
    assert ready == {"b", "c"}  # budget 2: "a" was least recently used
    client.unload_model("b")
    assert not client.is_model_ready("b")


def test_a_model_with_a_wrong_pin_fails_alone(server: str, tiny_model: TinyModel) -> None:
    client = http.InferenceServerClient(server)
    with pytest.raises(http.InferenceServerException, match=r"models\.yaml entry 'bad' pins 0000"):
        client.infer("bad", _inputs(tiny_model))
    with pytest.raises(http.InferenceServerException, match="not ready"):
        client.load_model("bad")
    assert not client.is_model_ready("bad")
    assert client.infer("a", _inputs(tiny_model)).as_numpy("probability").shape == (4,)
