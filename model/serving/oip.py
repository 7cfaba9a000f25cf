"""Open Inference Protocol v2 (KServe/Seldon/MLServer/Triton) with the pandas-codec convention.

One input tensor per feature, named after the column, shape [N] or [N, 1]; categories are
BYTES, numbers FP32/FP64/INT64. The response carries one `probability` tensor of shape [N].
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson

from model.serving import binary
from model.serving.asgi import JSON_HEADERS
from model.serving.schema import (
    Columns,
    Field,
    RequestError,
    RequestSchema,
    _type_name,
    parse_json,
)

NUMBER_TYPES = ("FP32", "FP64", "INT64")
OUTPUT = "probability"
HEADER_LENGTH = binary.HEADER_LENGTH
INFER_KEYS = frozenset({"id", "inputs", "outputs", "parameters"})


def model_metadata(schema: RequestSchema, name: str, version: str) -> dict[str, Any]:
    """GET /v2/models/{name}: every input with its datatype and shape."""
    inputs = [
        {
            "name": f.name,
            "datatype": "BYTES"
            if f.column.kind == "category"
            else ("INT64" if f.column.kind == "int" else "FP64"),
            "shape": [-1],
            "parameters": {"nullable": f.column.nullable},
        }
        for f in schema.fields
    ]
    return {
        "name": name,
        "versions": [version],
        "platform": "onnxruntime_onnx",
        "inputs": inputs,
        "outputs": [{"name": OUTPUT, "datatype": "FP64", "shape": [-1]}],
        "parameters": {"content_type": "pd"},
    }


def _shape(tensor: dict[str, Any], where: str) -> int:
    """Rows N from a shape [N] or [N, 1]."""
    shape = tensor.get("shape")
    if type(shape) is not list or not all(type(d) is int for d in shape):
        raise RequestError(
            422, f"{where}.shape: expected [N] or [N, 1] of integers, got {shape!r:.40}"
        )
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return shape[0]
    raise RequestError(422, f"{where}.shape: expected [N] or [N, 1], got {shape}")


def _data(tensor: dict[str, Any], n: int, where: str) -> list[Any]:
    """The tensor's flat data; [[v], [v]] row-major nesting for [N, 1] is flattened."""
    data = tensor.get("data")
    if type(data) is not list:
        raise RequestError(422, f"{where}.data: expected an array, got {_type_name(data)}")
    if data and type(data[0]) is list:
        if not all(type(v) is list and len(v) == 1 for v in data):
            raise RequestError(
                422, f"{where}.data: nested data must be [[v], [v], ...] for shape [N, 1]"
            )
        data = [v[0] for v in data]
    if len(data) != n:
        raise RequestError(422, f"{where}.data: shape says {n} values, data holds {len(data)}")
    return data


def _check_datatype(tensor: dict[str, Any], kind: str, where: str) -> None:
    datatype = tensor.get("datatype")
    if kind == "category":
        if datatype != "BYTES":
            raise RequestError(
                422, f"{where}.datatype: categorical feature needs BYTES, got {datatype!r:.40}"
            )
    elif datatype not in NUMBER_TYPES:
        raise RequestError(
            422,
            f"{where}.datatype: number needs {'/'.join(NUMBER_TYPES)}, got {datatype!r:.40}",
        )


@lru_cache(maxsize=1024)
def _decoder(categories: tuple[str, ...]) -> binary.Categories:
    return binary.Categories(categories)


def _binary_size(tensor: dict[str, Any], where: str) -> Any:
    """The tensor's binary_data_size parameter, or None when its data is JSON."""
    params = tensor.get("parameters")
    if params is None:
        return None
    if type(params) is not dict:
        raise RequestError(422, f"{where}.parameters: expected an object, got {_type_name(params)}")
    return params.get("binary_data_size")


def _binary_data(
    field: Field, tensor: dict[str, Any], n: int, chunk: memoryview, where: str
) -> Any:
    """Decode and check a tensor sent as raw bytes."""
    if "data" in tensor:
        raise RequestError(400, f"{where}: has both data and binary_data_size; send one")
    col = field.column
    if col.kind == "category":
        return _decoder(col.categories).decode(chunk, n, where)
    return binary.numbers(chunk, tensor["datatype"], n, col.kind, col.nullable, where)


def _tensor(
    schema: RequestSchema,
    tensor: Any,
    i: int,
    seen: dict[str, list[Any]],
    tail: binary.Tail | None,
) -> int:
    """Validate one input tensor into `seen`; return its row count."""
    where = f"inputs[{i}]"
    if type(tensor) is not dict:
        raise RequestError(422, f"{where}: expected a tensor object, got {_type_name(tensor)}")
    name = tensor.get("name")
    field = schema.by_name.get(name) if type(name) is str else None
    if field is None:
        raise RequestError(
            422, f"{where}.name: unknown input {name!r:.40}; expected: {', '.join(schema.names)}"
        )
    if name in seen:
        raise RequestError(422, f"{where}.name: input {name!r} given twice")
    where = f"inputs[{name}]"
    _check_datatype(tensor, field.column.kind, where)
    n = _shape(tensor, where)
    schema.check_rows(n, f"{where}.shape")
    size = _binary_size(tensor, where)
    if size is not None:
        if tail is None:
            raise RequestError(
                400,
                f"{where}.parameters.binary_data_size: given, but the request has no "
                "Inference-Header-Content-Length header framing binary data",
            )
        seen[name] = _binary_data(field, tensor, n, tail.take(size, where), where)
        return n
    data = _data(tensor, n, where)
    if tensor["datatype"] == "INT64":
        for j, v in enumerate(data):
            if type(v) is float:
                raise RequestError(422, f"{where}.data[{j}]: INT64 tensor holds non-integer {v!r}")
    seen[name] = field.check_all(data, lambda j: f"{where}.data[{j}]")
    return n


def parse_infer(
    schema: RequestSchema, body: Any, tail: binary.Tail | None = None
) -> tuple[Columns, int, Any]:
    """Validate an infer request (its binary tail, if framed) into (columns, rows, request id)."""
    if type(body) is not dict:
        raise RequestError(
            422, f"body: expected an inference request object, got {_type_name(body)}"
        )
    for key in body:
        if key not in INFER_KEYS:
            raise RequestError(
                422, f"body.{key}: unknown field; expected: id, inputs, outputs, parameters"
            )
    inputs = body.get("inputs")
    if type(inputs) is not list or not inputs:
        raise RequestError(422, "inputs: expected a non-empty array of tensors, one per feature")
    one = _one_row(schema, inputs) if tail is None else None
    columns, n = (one, 1) if one is not None else _tensors(schema, inputs, tail)
    request_id = body.get("id")
    if request_id is not None and type(request_id) is not str:
        raise RequestError(422, f"id: expected a string, got {_type_name(request_id)}")
    return columns, n, request_id


def _tensors(
    schema: RequestSchema, inputs: list[Any], tail: binary.Tail | None
) -> tuple[Columns, int]:
    """Every input tensor validated in order, the first problem named."""
    seen: dict[str, list[Any]] = {}
    counts = {_tensor(schema, tensor, i, seen, tail) for i, tensor in enumerate(inputs)}
    if tail is not None:
        tail.finish()
    missing = [name for name in schema.names if name not in seen]
    if missing:
        raise RequestError(422, f"inputs: missing tensor(s) for {', '.join(missing)}")
    if len(counts) != 1:
        raise RequestError(422, f"inputs: every tensor needs the same N rows, got {sorted(counts)}")
    return seen, counts.pop()


def _one_row(schema: RequestSchema, inputs: list[Any]) -> Columns | None:
    """The common request, one JSON value per tensor with shape [1], checked in one loop.

    The same checks as `_tensors`, without its per-tensor calls and messages (the credit
    model's 13 tensors: 9.7 against 35.8 us in process; benchmarks/serving.py
    --only-repository prints both). Anything else, or any problem, returns None and takes
    `_tensors`, which names the problem.
    """
    by_name, seen = schema.by_name, {}
    try:
        for tensor in inputs:
            if type(tensor) is not dict or "parameters" in tensor:
                return None
            name, shape, data = tensor.get("name"), tensor.get("shape"), tensor.get("data")
            field = by_name.get(name) if type(name) is str else None
            if field is None or name in seen or type(shape) is not list or shape != [1]:
                return None
            if type(shape[0]) is not int or type(data) is not list or len(data) != 1:
                return None  # [True] == [1] in Python: the type decides
            value, datatype = data[0], tensor.get("datatype")
            if field.column.kind == "category":
                if datatype != "BYTES":
                    return None
            elif datatype not in NUMBER_TYPES or (datatype == "INT64" and type(value) is float):
                return None
            seen[name] = [field.check(value, name)]
    except RequestError:
        return None
    return seen if len(seen) == len(by_name) else None


def read_infer(
    schema: RequestSchema, body: bytes, framing: bytes | None
) -> tuple[Columns, int, Any, bool]:
    """(columns, rows, request id, binary output wanted) from a JSON or binary-framed body."""
    tail = None
    if framing is not None:
        header, data = binary.split(body, framing)
        body, tail = header, binary.Tail(data)
    request = parse_json(body)
    columns, n, request_id = parse_infer(schema, request, tail)
    return columns, n, request_id, binary_output(request)


def binary_output(body: dict[str, Any]) -> bool:
    """Whether the client asked for the output as raw bytes (binary_data / binary_data_output)."""
    params = body.get("parameters")
    if params is not None and type(params) is not dict:
        raise RequestError(422, f"parameters: expected an object, got {_type_name(params)}")
    wanted = bool(params) and params.get("binary_data_output") is True
    outputs = body.get("outputs")
    if outputs is None:
        return wanted
    if type(outputs) is not list:
        raise RequestError(422, f"outputs: expected an array, got {_type_name(outputs)}")
    for i, out in enumerate(outputs):
        if type(out) is not dict or out.get("name") != OUTPUT:
            name = out.get("name") if type(out) is dict else out
            raise RequestError(
                422, f"outputs[{i}].name: unknown output {name!r:.40}; this model has {OUTPUT!r}"
            )
        params = out.get("parameters")
        if params is not None and type(params) is not dict:
            raise RequestError(
                422, f"outputs[{i}].parameters: expected an object, got {_type_name(params)}"
            )
        if params and "binary_data" in params:
            wanted = params["binary_data"] is True  # per output, it overrides the request's
    return wanted


def infer_binary(name: str, version: str, scores: Any, request_id: Any) -> tuple[bytes, int]:
    """(body, JSON header length) of a response whose output travels as raw FP64 bytes."""
    data = binary.encode_fp64(scores)
    output = {
        "name": OUTPUT,
        "shape": [len(data) // 8],
        "datatype": "FP64",
        "parameters": {"binary_data_size": len(data)},
    }
    head: dict[str, Any] = {"model_name": name, "model_version": version, "outputs": [output]}
    if request_id is not None:
        head["id"] = request_id
    header = orjson.dumps(head)
    return header + data, len(header)


def infer_reply(
    name: str, version: str, scores: Any, request_id: Any, binary_out: bool
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """(payload, headers) of an infer response: JSON, or raw FP64 when asked."""
    if binary_out:
        payload, size = infer_binary(name, version, scores, request_id)
        return payload, [*binary.BINARY_HEADERS, (HEADER_LENGTH, str(size).encode())]
    return orjson.dumps(infer_response(name, version, scores, request_id)), JSON_HEADERS


def infer_response(name: str, version: str, scores: list[float], request_id: Any) -> dict[str, Any]:
    """POST /v2/models/{name}/infer response body."""
    out: dict[str, Any] = {
        "model_name": name,
        "model_version": version,
        "outputs": [{"name": OUTPUT, "shape": [len(scores)], "datatype": "FP64", "data": scores}],
    }
    if request_id is not None:
        out["id"] = request_id
    return out
