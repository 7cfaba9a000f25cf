"""The single-row fast paths give exactly what the general paths give, and refuse the same."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from model.names import ONNX_FILE
from model.serving.inference import OUTPUT, OnnxModel, fast_run
from model.serving.schema import RequestError, RequestSchema
from tests.unit.serving_helpers import contract_of, read_rows, schema_of
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def schema(tiny_model: TinyModel) -> RequestSchema:
    return schema_of(tiny_model.models)


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel) -> list[dict[str, Any]]:
    return read_rows(tiny_model.test_csv, contract_of(tiny_model.models))


def _general(schema: RequestSchema, row: dict[str, Any]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    schema._row(row, 0, columns)
    return columns


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def test_one_row_matches_the_general_path(
    schema: RequestSchema, rows: list[dict[str, Any]]
) -> None:
    fast = [r for r in rows if schema._one(r) is not None]
    assert len(fast) > len(rows) // 2  # most test rows take the fast path, nulls included
    assert any(None in r.values() for r in fast)
    for row in rows:
        got, want = schema.instances({"instances": [row]})[0], _general(schema, row)
        assert all(_same(got[n][0], want[n][0]) for n in schema.names), row


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("Age", True, "expected a number, got boolean"),
        ("Age", 30.5, "expected an integer"),
        ("Age", 2**200, "out of range"),
        ("Income", 1e39, "out of range for float32"),
        ("Income", float("nan"), "expected a finite number"),
        ("Home", "castle", "unknown category 'castle'"),
        ("Home", 3, "expected a string"),
        ("Records", None, "may not be null"),
    ],
)
def test_one_bad_value_is_named_as_before(
    schema: RequestSchema, rows: list[dict[str, Any]], field: str, value: Any, needle: str
) -> None:
    row = {**rows[0], field: value}
    with pytest.raises(RequestError) as info:
        schema.instances({"instances": [row]})
    assert needle in info.value.message and f"instances[0].{field}" in info.value.message


def test_one_row_scores_as_a_batch_row(
    tiny_model: TinyModel, schema: RequestSchema, rows: list[dict[str, Any]]
) -> None:
    model = OnnxModel((tiny_model.models / ONNX_FILE).read_bytes(), schema)
    batch, n = schema.instances({"instances": rows[:9]})
    together = model.predict(batch, n)
    for i, row in enumerate(rows[:9]):
        alone = model.predict(*schema.instances({"instances": [row]}))
        assert np.array_equal(alone, together[i : i + 1])  # buffers reused, never stale


def test_scores_are_the_predictions_as_python_floats(
    tiny_model: TinyModel, schema: RequestSchema, rows: list[dict[str, Any]]
) -> None:
    model = OnnxModel((tiny_model.models / ONNX_FILE).read_bytes(), schema)
    for batch in (rows[:1], rows[:9]):
        columns, n = schema.instances({"instances": batch})
        got = model.scores(columns, n)
        assert [type(s) for s in got] == [float] * n
        assert got == model.predict(columns, n).tolist()


def test_onnxruntime_still_has_the_private_run_the_hot_path_uses(
    tiny_model: TinyModel, schema: RequestSchema, rows: list[dict[str, Any]]
) -> None:
    """fast_run falls back to the public, slower run; this fails when `_sess` disappears."""
    model = OnnxModel((tiny_model.models / ONNX_FILE).read_bytes(), schema)
    assert fast_run(model.session) == model.session._sess.run
    assert fast_run(model.session) != model.session.run
    columns, n = schema.instances({"instances": rows[:9]})
    feed = {
        name: np.array(columns[name], dtype=object if cat else np.float32).reshape(n, 1)
        for name, cat in model.kinds
    }
    public = model.session.run([OUTPUT], feed)[0]
    assert np.array_equal(fast_run(model.session)([OUTPUT], feed, None)[0], public)
