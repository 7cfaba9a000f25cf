"""tritonclient.http, a client no one here wrote, against a real `model serve` on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.loopback import server_process
from tests.unit.serving_helpers import MODEL, contract_of, read_rows, serving_env
from tests.unit.tiny_model import TinyModel

http = pytest.importorskip("tritonclient.http")


@pytest.fixture(scope="module")
def server(tiny_model: TinyModel) -> Iterator[str]:
    """`model serve` as a process on a free 127.0.0.1 port; yields host:port."""
    model = str(Path(sys.executable).parent / "model")
    cmd = [model, "serve", "--model-dir", str(tiny_model.models)]
    with server_process(cmd, serving_env()) as server:
        yield f"127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel) -> list[dict[str, Any]]:
    rows = read_rows(tiny_model.test_csv, contract_of(tiny_model.models))
    return [r for r in rows if None not in r.values()][:25]


def _inputs(rows: list[dict[str, Any]], contract: Any, binary: bool) -> list[Any]:
    """One InferInput per feature, as a Triton user writes them (numpy arrays)."""
    inputs = []
    for col in contract.features:
        values = [r[col.name] for r in rows]
        if col.kind == "category":
            array, datatype = np.array(values, dtype=object), "BYTES"
        elif col.kind == "int":
            array, datatype = np.array(values, dtype=np.int64), "INT64"
        else:
            array, datatype = np.array(values, dtype=np.float32), "FP32"
        tensor = http.InferInput(col.name, list(array.shape), datatype)
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    return inputs


@pytest.mark.parametrize("binary_inputs", [True, False], ids=["binary", "json"])
@pytest.mark.parametrize("binary_output", [None, True, False], ids=["default", "bin", "json"])
def test_tritonclient_infers(
    server: str,
    rows: list[dict[str, Any]],
    tiny_model: TinyModel,
    binary_inputs: bool,
    binary_output: bool | None,
) -> None:
    contract = contract_of(tiny_model.models)
    expected = httpx.post(f"http://{server}/v1/predict", json={"instances": rows}).json()
    client = http.InferenceServerClient(server)
    assert client.is_server_ready() and client.is_model_ready(MODEL)
    outputs = None
    if binary_output is not None:
        outputs = [http.InferRequestedOutput("probability", binary_data=binary_output)]
    result = client.infer(MODEL, _inputs(rows, contract, binary_inputs), outputs=outputs)
    got = result.as_numpy("probability")
    assert got.shape == (len(rows),)
    want = [p["probability"] for p in expected["predictions"]]
    assert np.allclose(got, want, rtol=0, atol=1e-6)
    params = result.get_output("probability").get("parameters", {})
    assert ("binary_data_size" in params) == (binary_output is not False)


def test_tritonclient_sees_a_clear_error(server: str, rows: list[dict[str, Any]],
                                         tiny_model: TinyModel) -> None:  # fmt: skip
    contract = contract_of(tiny_model.models)
    inputs = _inputs(rows[:2], contract, True)
    bad = http.InferInput("Home", [2], "BYTES")
    bad.set_data_from_numpy(np.array(["castle", "rent"], dtype=object))
    inputs = [bad if i.name() == "Home" else i for i in inputs]
    with pytest.raises(http.InferenceServerException, match="unknown category 'castle'"):
        http.InferenceServerClient(server).infer(MODEL, inputs)
