"""The few fields of an ONNX model's protobuf that the compiled one-row scorer reads.

Why not the `onnx` package: the serving image does not carry it (16 MB installed) and ONNX
Runtime cannot show a graph's attributes. protobuf itself is there (ONNX Runtime depends on
it), so the messages are declared here with the field numbers of onnx/onnx.proto, and only
the fields `compiled.py` uses; protobuf skips the rest. A hand-written wire reader was 10x
slower: ONNX is proto2, so its repeated ints are unpacked, one varint key per value.
Anything malformed raises ProtoError and the server keeps scoring with ONNX Runtime alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

_FLOAT, _INT64 = 1, 7  # TensorProto.DataType values this reader decodes
_NUMPY_TYPES = {_FLOAT: np.float32, _INT64: np.int64}

# Each message of onnx.proto this reader needs: "field number type" ("*": repeated; a
# capitalised type is another message here).
_MESSAGES = {
    "TensorProto": "dims 1 *int64, data_type 2 int32, float_data 4 *float, "
    "int64_data 7 *int64, name 8 string, raw_data 9 bytes",
    "AttributeProto": "name 1 string, f 2 float, i 3 int64, s 4 bytes, t 5 TensorProto, "
    "floats 7 *float, ints 8 *int64, strings 9 *bytes, type 20 int32",
    "NodeProto": "input 1 *string, output 2 *string, op_type 4 string, "
    "attribute 5 *AttributeProto, domain 7 string",
    "ValueInfoProto": "name 1 string",
    "GraphProto": "node 1 *NodeProto, initializer 5 *TensorProto, input 11 *ValueInfoProto, "
    "output 12 *ValueInfoProto",
    "ModelProto": "graph 7 GraphProto",
}
# AttributeProto.AttributeType: which field holds the value
_ATTRIBUTE_FIELD = {1: "f", 2: "i", 3: "s", 4: "t", 6: "floats", 7: "ints", 8: "strings"}


class ProtoError(ValueError):
    """The bytes are not the ONNX protobuf this reader understands."""


@dataclass
class Node:
    op_type: str
    domain: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    nodes: list[Node]
    initializers: dict[str, np.ndarray]
    inputs: list[str]
    outputs: list[str]


@lru_cache(maxsize=1)
def _model_class() -> Any:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    proto = descriptor_pb2.FieldDescriptorProto
    scalars = {"int64": proto.TYPE_INT64, "int32": proto.TYPE_INT32, "float": proto.TYPE_FLOAT,
               "string": proto.TYPE_STRING, "bytes": proto.TYPE_BYTES}  # fmt: skip
    file = descriptor_pb2.FileDescriptorProto(name="serving_onnx_subset.proto", package="subset")
    for name, spec in _MESSAGES.items():
        message = file.message_type.add(name=name)
        for item in spec.split(", "):
            field_name, number, kind = item.split()
            repeated, kind = kind.startswith("*"), kind.lstrip("*")
            message.field.add(
                name=field_name,
                number=int(number),
                label=proto.LABEL_REPEATED if repeated else proto.LABEL_OPTIONAL,
                type=scalars.get(kind, proto.TYPE_MESSAGE),
                type_name=None if kind in scalars else f".subset.{kind}",
            )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("subset.ModelProto"))


def _tensor(tensor: Any) -> np.ndarray:
    np_type = _NUMPY_TYPES.get(tensor.data_type)
    if np_type is None:
        raise ProtoError(
            f"tensor {tensor.name!r}: data type {tensor.data_type} is not float or int64"
        )
    if len(tensor.raw_data) % np.dtype(np_type).itemsize:
        raise ProtoError(f"tensor {tensor.name!r}: raw data of {len(tensor.raw_data)} bytes")
    if tensor.raw_data:
        array = np.frombuffer(tensor.raw_data, dtype=np.dtype(np_type).newbyteorder("<"))
    else:
        array = np.array(tensor.float_data if np_type is np.float32 else tensor.int64_data, np_type)
    dims = list(tensor.dims)
    if array.size != int(np.prod(dims)) or any(d < 0 for d in dims):
        raise ProtoError(f"tensor {tensor.name!r}: {array.size} values for dims {dims}")
    return array.astype(np_type).reshape(dims)


def _attribute(attr: Any) -> Any:
    kind = _ATTRIBUTE_FIELD.get(attr.type)
    if kind is None:
        raise ProtoError(f"attribute {attr.name!r}: type {attr.type} is not read here")
    value = getattr(attr, kind)
    if kind == "t":
        return _tensor(value)
    return list(value) if kind in ("floats", "ints", "strings") else value


def read_graph(model: bytes) -> Graph:
    """The main graph of a serialized ModelProto."""
    from google.protobuf.message import DecodeError

    parsed = _model_class()()
    try:
        parsed.ParseFromString(model)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ProtoError(f"not an ONNX model: {exc}") from exc
    if not parsed.HasField("graph"):
        raise ProtoError("the model has no graph")
    graph = parsed.graph
    try:
        nodes = [
            Node(n.op_type, n.domain, list(n.input), list(n.output),
                 {a.name: _attribute(a) for a in n.attribute})
            for n in graph.node
        ]  # fmt: skip
        return Graph(
            nodes,
            {t.name: _tensor(t) for t in graph.initializer},
            [v.name for v in graph.input],
            [v.name for v in graph.output],
        )
    except UnicodeDecodeError as exc:  # proto2 strings are checked only when read
        raise ProtoError(f"not an ONNX model: a name is not UTF-8: {exc}") from exc
