"""The binary tensor data extension: the framing parser with hostile sizes, and app replies."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.serving import binary
from model.serving.schema import RequestError
from tests.unit.serving_helpers import (
    MODEL,
    Client,
    contract_of,
    read_rows,
    serving_client,
    to_tensors,
)
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit
INFER = f"/v2/models/{MODEL}/infer"
HEADER = "inference-header-content-length"


def _status(call: Any, *args: Any) -> tuple[int, str]:
    with pytest.raises(RequestError) as info:
        call(*args)
    return info.value.status, info.value.message


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (b"", "expected the JSON header's byte count"),
        (b"-1", "expected the JSON header's byte count"),
        (b"0x10", "expected the JSON header's byte count"),
        (b"9" * 40, "expected the JSON header's byte count"),
        (b"0", "is not within the 10-byte body"),
        (b"11", "is not within the 10-byte body"),
        (b"999999999999", "is not within the 10-byte body"),
    ],
)
def test_header_length_outside_the_body_is_400(value: bytes, needle: str) -> None:
    status, message = _status(binary.split, b"{}" + b"\0" * 8, value)
    assert status == 400 and needle in message


def test_split_keeps_header_and_tail() -> None:
    header, tail = binary.split(b'{"a":1}XYZ', b" 7 ")
    assert header == b'{"a":1}' and bytes(tail) == b"XYZ"


@pytest.mark.parametrize("size", [-1, True, 1.0, "4", None, 2**63, 5])
def test_hostile_binary_data_size_is_400(size: Any) -> None:
    tail = binary.Tail(memoryview(b"\0" * 4))
    status, message = _status(tail.take, size, "inputs[Age]")
    assert status == 400 and "inputs[Age].parameters.binary_data_size" in message


def test_leftover_bytes_are_400() -> None:
    tail = binary.Tail(memoryview(b"\0" * 12))
    tail.take(8, "x")
    status, message = _status(tail.finish)
    assert status == 400 and "4 binary bytes after the last input" in message


@pytest.mark.parametrize(("datatype", "size"), [("FP32", 3), ("FP64", 16), ("INT64", 4)])
def test_size_must_match_shape_times_dtype(datatype: str, size: int) -> None:
    chunk = memoryview(b"\0" * size)
    status, message = _status(binary.numbers, chunk, datatype, 3, "float", False, "inputs[Income]")
    assert status == 400 and f"shape [3] of {datatype} needs" in message


def test_numbers_are_checked_like_json() -> None:
    ok = binary.numbers(memoryview(np.array([1.0, np.nan], "<f8").tobytes()), "FP64", 2,
                        "float", True, "w")  # fmt: skip
    assert ok[0] == 1.0 and np.isnan(ok[1])  # NaN is null where the contract allows it
    for values, kind, nullable, needle in [
        ([1.0, np.nan], "float", False, "data[1]: expected a finite number"),
        ([np.inf], "float", True, "data[0]: expected a finite number"),
        ([1e39], "float", True, "out of range for float32"),
        ([1.5], "int", False, "data[0]: expected an integer"),
    ]:
        chunk = memoryview(np.array(values, "<f8").tobytes())
        status, message = _status(binary.numbers, chunk, "FP64", len(values), kind, nullable, "w")
        assert status == 422 and needle in message, message


def _bytes_tensor(values: list[bytes]) -> memoryview:
    return memoryview(b"".join(struct.pack("<I", len(v)) + v for v in values))


def test_bytes_elements_decode_to_categories() -> None:
    decoder = binary.Categories(("own", "owner", "rent"))
    values = [b"owner", b"own", b"rent", b"owner"]
    assert list(decoder.decode(_bytes_tensor(values), 4, "w")) == ["owner", "own", "rent", "owner"]


@pytest.mark.parametrize(
    ("raw", "n", "status", "needle"),
    [
        (_bytes_tensor([b"rent", b"flat"]), 2, 422, "data[1]: unknown category 'flat'"),
        (_bytes_tensor([b"rent"]), 2, 400, "ends after 1 of 2 BYTES elements"),
        (_bytes_tensor([b"rent", b"rent"]), 1, 400, "8 bytes after the 1 BYTES elements"),
        (memoryview(struct.pack("<I", 2**32 - 1) + b"rent"), 1, 400, "runs past"),
        (memoryview(b"\x04\0"), 1, 400, "ends after 0 of 1"),
        (_bytes_tensor([b"\xff\xfe"]), 1, 422, "unknown category"),
    ],
)
def test_hostile_bytes_tensors(raw: memoryview, n: int, status: int, needle: str) -> None:
    decoder = binary.Categories(("own", "rent"))
    got, message = _status(decoder.decode, raw, n, "inputs[Home]")
    assert got == status and needle in message, message


# ---- the app, in process ------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tiny_model: TinyModel) -> Path:
    return tiny_model.models


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel, model_dir: Path) -> list[dict[str, Any]]:
    rows = read_rows(tiny_model.test_csv, contract_of(model_dir))
    return [r for r in rows if None not in r.values()][:20]


@pytest.fixture
def client(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    with serving_client(model_dir, monkeypatch) as c:
        yield c


def framed(tensors: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> tuple[bytes, int]:
    """A binary-framed infer body (every input as raw bytes), as tritonclient builds it."""
    inputs, blobs = [], []
    dtypes = {"INT64": "<i8", "FP64": "<f8"}
    for t in tensors:
        if t["datatype"] == "BYTES":
            blob = bytes(_bytes_tensor([v.encode() for v in t["data"]]))
        else:
            blob = np.array(t["data"], dtype=dtypes[t["datatype"]]).tobytes()
        params = {"binary_data_size": len(blob)}
        inputs.append({k: t[k] for k in ("name", "datatype", "shape")} | {"parameters": params})
        blobs.append(blob)
    header = json.dumps({"inputs": inputs, **(extra or {})}).encode()
    return header + b"".join(blobs), len(header)


def test_binary_request_scores_as_json_does(
    client: Client, rows: list[dict[str, Any]], model_dir: Path
) -> None:
    tensors = to_tensors(rows, contract_of(model_dir))
    expected = client.post(INFER, json={"inputs": tensors}).json()["outputs"][0]["data"]
    body, size = framed(tensors)
    reply = client.post(INFER, content=body, headers={HEADER: str(size)})
    assert reply.status_code == 200, reply.text
    assert HEADER not in reply.headers  # JSON output unless asked for binary
    assert reply.json()["outputs"][0]["data"] == expected


def test_binary_output_when_asked(
    client: Client, rows: list[dict[str, Any]], model_dir: Path
) -> None:
    tensors = to_tensors(rows, contract_of(model_dir))
    expected = client.post(INFER, json={"inputs": tensors}).json()["outputs"][0]["data"]
    for extra in (
        {"parameters": {"binary_data_output": True}},
        {"outputs": [{"name": "probability", "parameters": {"binary_data": True}}]},
    ):
        reply = client.post(INFER, json={"inputs": tensors, **extra})
        assert reply.status_code == 200, reply.text
        size = int(reply.headers[HEADER])
        head = json.loads(reply.content[:size])
        assert head["outputs"][0]["parameters"] == {"binary_data_size": 8 * len(rows)}
        assert np.frombuffer(reply.content[size:], "<f8").tolist() == expected


@pytest.mark.parametrize(
    ("mutate", "status", "needle"),
    [
        (lambda b, n: (b, n + 1), 400, "malformed JSON"),
        (lambda b, n: (b, n - 1), 400, "malformed JSON"),
        (lambda b, n: (b + b"\0", n), 400, "1 binary bytes after the last input"),
        (lambda b, n: (b[:-3], n), 400, "only"),
        (lambda b, n: (b, len(b) + 5), 400, "is not within"),
        (lambda b, n: (b"[" + b[1:], n), 400, "malformed JSON"),
    ],
)
def test_hostile_framing_is_400_never_5xx(
    client: Client, rows: list[dict[str, Any]], model_dir: Path, mutate: Any, status: int,
    needle: str,
) -> None:  # fmt: skip
    body, size = mutate(*framed(to_tensors(rows[:2], contract_of(model_dir))))
    reply = client.post(INFER, content=body, headers={HEADER: str(size)})
    assert reply.status_code == status, reply.text
    assert needle in reply.json()["error"]


def test_binary_size_without_framing_is_400(
    client: Client, rows: list[dict[str, Any]], model_dir: Path
) -> None:
    body, size = framed(to_tensors(rows[:2], contract_of(model_dir)))
    reply = client.post(INFER, content=body[:size])
    assert reply.status_code == 400 and "no Inference-Header-Content-Length" in reply.text


def test_unknown_output_is_422(client: Client, rows: list[dict[str, Any]], model_dir: Path) -> None:
    body = {"inputs": to_tensors(rows[:1], contract_of(model_dir)), "outputs": [{"name": "x"}]}
    reply = client.post(INFER, json=body)
    assert reply.status_code == 422 and "unknown output 'x'" in reply.json()["error"]


def test_many_categories_fall_back_to_the_element_walk() -> None:
    categories = tuple(chr(i) for i in range(1, 600))  # more tokens than free marker bytes
    decoder = binary.Categories(categories)
    assert not decoder.complete
    values = ["a", "\u0101", "\x7f", "\u0257"]
    assert list(decoder.decode(_bytes_tensor([v.encode() for v in values]), 4, "w")) == values


def test_a_value_hiding_a_known_element_is_not_accepted() -> None:
    decoder = binary.Categories(("own", "rent"))
    hostile = b"x" + struct.pack("<I", 4) + b"rent"  # "x\x04\x00\x00\x00rent": 9 bytes
    status, message = _status(decoder.decode, _bytes_tensor([hostile, b"own"]), 2, "w")
    assert status == 422 and "data[0]: unknown category" in message
