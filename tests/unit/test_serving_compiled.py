"""The compiled one-row scorer: ONNX Runtime's answers, and ONNX Runtime whenever in doubt."""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper, numpy_helper

from model import config
from model.names import ONNX_FILE
from model.serving import compiled as compiled_module
from model.serving.compiled import NotCompiled, compile_one_row
from model.serving.inference import OUTPUT, OnnxModel
from model.serving.onnx_proto import ProtoError, read_graph
from model.serving.probe import probe
from model.serving.schema import RequestSchema
from tests.unit.serving_helpers import contract_of, read_rows, schema_of
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def schema(tiny_model: TinyModel) -> RequestSchema:
    return schema_of(tiny_model.models)


@pytest.fixture(scope="module")
def onnx_bytes(tiny_model: TinyModel) -> bytes:
    return (tiny_model.models / ONNX_FILE).read_bytes()


@pytest.fixture(scope="module")
def model(onnx_bytes: bytes, schema: RequestSchema) -> OnnxModel:
    return OnnxModel(onnx_bytes, schema)


def _columns(schema: RequestSchema, row: dict[str, Any]) -> dict[str, list[Any]]:
    columns, n = schema.instances({"instances": [row]})
    assert n == 1
    return columns


def _ort(model: OnnxModel, columns: dict[str, list[Any]]) -> float:
    return float(model._probabilities(columns, 1)[0, 1])


def test_the_tiny_model_compiles_and_scores_its_test_rows_exactly_as_onnx_runtime(
    model: OnnxModel, schema: RequestSchema, tiny_model: TinyModel
) -> None:
    assert model.compiled is not None
    rows = read_rows(tiny_model.test_csv, contract_of(tiny_model.models))
    assert any(v is None for row in rows for v in row.values())  # nulls take the Imputer's fill
    scores = [(model.scores(c, 1)[0], _ort(model, c)) for c in (_columns(schema, r) for r in rows)]
    assert all(got == expected for got, expected in scores)  # to the bit: libm's own expf


def _row_strategy(schema: RequestSchema) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in schema.fields:
        column = f.column
        if column.kind == "category":
            value: st.SearchStrategy[Any] = st.sampled_from(sorted(column.categories))
        else:
            low = column.minimum if column.minimum is not None else -1e6
            high = column.maximum if column.maximum is not None else 1e6
            value = (
                st.integers(int(np.ceil(low)), int(np.floor(high)))
                if column.kind == "int"
                else st.floats(low, high, allow_nan=False)
            )
        fields[f.name] = st.one_of(st.none(), value) if column.nullable else value
    return st.fixed_dictionaries(fields)


def test_random_valid_rows_score_exactly_as_onnx_runtime(
    model: OnnxModel, schema: RequestSchema
) -> None:
    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_row_strategy(schema))
    def check(row: dict[str, Any]) -> None:
        columns = _columns(schema, row)
        assert model.scores(columns, 1)[0] == _ort(model, columns)

    check()


def _edited(onnx_bytes: bytes, edit: Any) -> bytes:
    proto = onnx.load_from_string(onnx_bytes)
    edit(proto)
    return proto.SerializeToString()


def _trees_node(proto: onnx.ModelProto) -> onnx.NodeProto:
    return next(n for n in proto.graph.node if n.op_type == "TreeEnsembleClassifier")


def _set(node: onnx.NodeProto, name: str, value: Any) -> None:
    kept = [a for a in node.attribute if a.name != name]
    del node.attribute[:]
    node.attribute.extend([*kept, helper.make_attribute(name, value)])


def _gt_mode(proto: onnx.ModelProto) -> None:
    node = _trees_node(proto)
    modes = [m.decode() for m in helper.get_attribute_value(_attr(node, "nodes_modes"))]
    _set(node, "nodes_modes", ["BRANCH_GT" if m != "LEAF" else m for m in modes])


def _attr(node: onnx.NodeProto, name: str) -> onnx.AttributeProto:
    return next(a for a in node.attribute if a.name == name)


def _no_transform(proto: onnx.ModelProto) -> None:
    _set(_trees_node(proto), "post_transform", "NONE")


def _tracks_missing(proto: onnx.ModelProto) -> None:
    node = _trees_node(proto)
    count = len(_attr(node, "nodes_modes").strings)
    _set(node, "nodes_missing_value_tracks_true", [1] * count)


def _extra_op(proto: onnx.ModelProto) -> None:
    node = _trees_node(proto)
    source = node.input[0]
    proto.graph.node.insert(
        list(proto.graph.node).index(node), helper.make_node("Abs", [source], ["abs_out"])
    )
    node.input[0] = "abs_out"


def _imputes_zero(proto: onnx.ModelProto) -> None:
    _set(next(n for n in proto.graph.node if n.op_type == "Imputer"), "replaced_value_float", 0.0)


EDITS = {
    "BRANCH_GT, which routes NaN the other way": _gt_mode,
    "a raw score, no logistic": _no_transform,
    "missing values routed to the true branch": _tracks_missing,
    "an op it does not implement (Abs)": _extra_op,
    "an Imputer that replaces zeros": _imputes_zero,
}


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_a_graph_it_does_not_implement_stays_on_onnx_runtime(
    onnx_bytes: bytes,
    schema: RequestSchema,
    tiny_model: TinyModel,
    edit: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    edited = _edited(onnx_bytes, edit)
    with pytest.raises(NotCompiled):
        compile_one_row(
            edited, [(f.name, f.column.kind == "category") for f in schema.fields], OUTPUT
        )
    with caplog.at_level(logging.INFO, logger="model.serving"):
        model = OnnxModel(edited, schema)
    assert model.compiled is None
    why = [r.getMessage() for r in caplog.records if "stays on ONNX Runtime" in r.getMessage()]
    assert len(why) == 1, caplog.records
    row = read_rows(tiny_model.test_csv, contract_of(tiny_model.models))[0]
    columns = _columns(schema, row)
    assert model.scores(columns, 1) == [_ort(model, columns)]


def _misread(change: str) -> Any:
    """compile_one_row with one systematic reading mistake, as a bug in it would make."""
    real = compiled_module.compile_one_row

    def compile_wrong(*args: Any) -> Any:
        scorer = real(*args)
        if change == "LT read as LEQ":  # every threshold one float32 lower
            scorer._thresholds[:] = np.nextafter(scorer._thresholds, np.float32(-np.inf))
        elif change == "one leaf weight":
            scorer._leaves[int(np.argmax(np.abs(scorer._leaves)))] *= 1.5
        elif change == "imputed fill":  # a copy: the layout itself is shared between models
            layout = copy.copy(scorer.layout)
            layout.numbers = [(i, name, fill + 1.0) for i, name, fill in layout.numbers]
            scorer.layout, scorer.row = layout, layout.row
        return scorer

    return compile_wrong


@pytest.mark.parametrize("change", ["LT read as LEQ", "one leaf weight", "imputed fill"])
def test_a_scorer_that_disagrees_on_the_probe_rows_is_not_used(
    onnx_bytes: bytes, schema: RequestSchema, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    monkeypatch.setattr(compiled_module, "compile_one_row", _misread(change))
    assert OnnxModel(onnx_bytes, schema).compiled is None


def _leaves_walked(proto: onnx.ModelProto, x: np.ndarray) -> set[tuple[int, int]]:
    """(tree, leaf node id) each tree of the ONNX graph reaches for feature row x: a plain
    walk of the attributes as `onnx` reads them, sharing no code with compiled.py."""
    attrs = {a.name: helper.get_attribute_value(a) for a in _trees_node(proto).attribute}
    keys = list(zip(attrs["nodes_treeids"], attrs["nodes_nodeids"], strict=True))
    at = {key: i for i, key in enumerate(keys)}
    reached = set()
    for tree in sorted(set(attrs["nodes_treeids"])):
        i = at[tree, 0]
        while attrs["nodes_modes"][i] != b"LEAF":
            goes_true = x[attrs["nodes_featureids"][i]] <= np.float32(attrs["nodes_values"][i])
            child = attrs["nodes_truenodeids" if goes_true else "nodes_falsenodeids"][i]
            i = at[tree, child]
        reached.add(keys[i])
    return reached


def test_the_probe_rows_reach_every_leaf_of_every_tree(model: OnnxModel, onnx_bytes: bytes) -> None:
    scorer = model.compiled
    assert scorer is not None
    proto = onnx.load_from_string(onnx_bytes)
    attrs = {a.name: helper.get_attribute_value(a) for a in _trees_node(proto).attribute}
    leaves = {
        (tree, node)
        for tree, node, mode in zip(
            attrs["nodes_treeids"], attrs["nodes_nodeids"], attrs["nodes_modes"], strict=True
        )
        if mode == b"LEAF"
    }
    rows, answers = probe(scorer)
    reached = set().union(*(_leaves_walked(proto, scorer.row(row)) for row in rows))
    assert reached == leaves
    assert answers == [scorer(row) for row in rows]
    assert any(math.isnan(row[name][0]) for row in rows for _, name, _ in scorer.layout.numbers)


def test_a_bug_in_compiling_costs_speed_not_the_model(
    onnx_bytes: bytes,
    schema: RequestSchema,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(compiled_module, "compile_one_row", broken)
    with caplog.at_level(logging.ERROR, logger="model.serving"):
        model = OnnxModel(onnx_bytes, schema)
    assert model.compiled is None
    assert any("stays on ONNX Runtime" in r.getMessage() for r in caplog.records)


def test_model_compiled_trees_0_keeps_every_request_on_onnx_runtime(
    onnx_bytes: bytes, schema: RequestSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.MODEL_COMPILED_TREES, "0")
    assert OnnxModel(onnx_bytes, schema).compiled is None
    monkeypatch.setenv(config.MODEL_COMPILED_TREES, "1")
    assert OnnxModel(onnx_bytes, schema).compiled is not None


def test_the_wire_reader_reads_what_onnx_reads(onnx_bytes: bytes) -> None:
    proto = onnx.load_from_string(onnx_bytes)
    graph = read_graph(onnx_bytes)
    assert [i.name for i in proto.graph.input] == graph.inputs
    assert [o.name for o in proto.graph.output] == graph.outputs
    assert len(graph.nodes) == len(proto.graph.node)
    for ours, theirs in zip(graph.nodes, proto.graph.node, strict=True):
        assert (ours.op_type, ours.domain) == (theirs.op_type, theirs.domain)
        assert (ours.inputs, ours.outputs) == (list(theirs.input), list(theirs.output))
        expected = {a.name: helper.get_attribute_value(a) for a in theirs.attribute}
        assert set(ours.attrs) == set(expected)
        for key, value in expected.items():
            got = ours.attrs[key]
            if isinstance(value, list) and value and isinstance(value[0], float):
                assert np.array_equal(np.float32(got), np.float32(value), equal_nan=True), key
            elif isinstance(value, float):
                assert np.float32(got) == np.float32(value) or (got != got and value != value), key
            else:
                assert got == value, key
    for tensor in proto.graph.initializer:
        assert np.array_equal(graph.initializers[tensor.name], numpy_helper.to_array(tensor))


def test_an_initializer_whose_raw_bytes_do_not_fit_its_type_is_a_proto_error(
    onnx_bytes: bytes,
) -> None:
    def odd_raw(proto: onnx.ModelProto) -> None:
        shape = proto.graph.initializer[0]
        del shape.int64_data[:]
        shape.raw_data = b"\x01" * 7  # not a whole int64

    with pytest.raises(ProtoError, match="raw data of 7 bytes"):
        read_graph(_edited(onnx_bytes, odd_raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_model_bytes_raise_only_proto_error_or_not_compiled(
    onnx_bytes: bytes, schema: RequestSchema, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(onnx_bytes)))
    flips = st.tuples(st.integers(0, len(onnx_bytes) - 1), st.integers(1, 255))
    damaged = bytearray(onnx_bytes[:cut] if data.draw(st.booleans()) else onnx_bytes)
    for at, mask in data.draw(st.lists(flips, max_size=8)):
        if at < len(damaged):
            damaged[at] ^= mask
    kinds = [(f.name, f.column.kind == "category") for f in schema.fields]
    with contextlib.suppress(ProtoError):  # the only exception allowed
        read_graph(bytes(damaged))
    with contextlib.suppress(NotCompiled):  # ... and here: OnnxModel then keeps ONNX Runtime
        probe(compile_one_row(bytes(damaged), kinds, OUTPUT))
