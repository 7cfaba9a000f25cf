"""Open Inference Protocol v2 (KServe/Seldon/MLServer/Triton) with the pandas-codec convention.

One input tensor per feature, named after the column, shape [N] or [N, 1]; categories are
BYTES, numbers FP32/FP64/INT64. The response carries one `probability` tensor of shape [N].
"""

from __future__ import annotations

from typing import Any

from model.serving.schema import Columns, RequestError, RequestSchema, _type_name

NUMBER_TYPES = ("FP32", "FP64", "INT64")
OUTPUT = "probability"
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


def _tensor(schema: RequestSchema, tensor: Any, i: int, seen: dict[str, list[Any]]) -> int:
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
    data = _data(tensor, n, where)
    if tensor["datatype"] == "INT64":
        for j, v in enumerate(data):
            if type(v) is float:
                raise RequestError(422, f"{where}.data[{j}]: INT64 tensor holds non-integer {v!r}")
    seen[name] = field.check_all(data, lambda j: f"{where}.data[{j}]")
    return n


def parse_infer(schema: RequestSchema, body: Any) -> tuple[Columns, int, Any]:
    """Validate an infer request into (columns, rows, request id)."""
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
    seen: dict[str, list[Any]] = {}
    counts = {_tensor(schema, tensor, i, seen) for i, tensor in enumerate(inputs)}
    missing = [name for name in schema.names if name not in seen]
    if missing:
        raise RequestError(422, f"inputs: missing tensor(s) for {', '.join(missing)}")
    if len(counts) != 1:
        raise RequestError(422, f"inputs: every tensor needs the same N rows, got {sorted(counts)}")
    request_id = body.get("id")
    if request_id is not None and type(request_id) is not str:
        raise RequestError(422, f"id: expected a string, got {_type_name(request_id)}")
    return seen, counts.pop(), request_id


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
