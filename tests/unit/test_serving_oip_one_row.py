"""/v2 infer's one-row fast path: it answers only what the general path answers, the same way."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.serving import oip
from model.serving.app import ModelServer
from model.serving.schema import RequestError, RequestSchema
from tests.unit.serving_helpers import contract_of, read_rows, serving_app, to_tensors
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit
SCALARS = [None, True, 0, 1, -1, 1.5, 30.0, 1e39, "", "rent", "owner", "x", [], [30], {}]
PER_KEY = {
    "name": st.sampled_from(["Age", "Home", "Income", "age", "", None, 1, ["Age"]]),
    "datatype": st.sampled_from(["BYTES", "INT64", "FP32", "FP64", "BOOL", "bytes", None, 1]),
    "shape": st.sampled_from([[1], [True], [1.0], [2], [1, 1], [0], [], None, "1", [-1]]),
    "data": st.one_of(
        st.lists(st.sampled_from(SCALARS), max_size=2),
        st.sampled_from([None, "rent", 30, [[30]], [["rent"]]]),
    ),
    "parameters": st.sampled_from([None, {}, {"binary_data_size": 8}, []]),
    "extra": st.sampled_from([None, 1]),
}
mutation = st.one_of(
    st.sampled_from(list(PER_KEY)).flatmap(
        lambda key: st.tuples(st.just("set"), st.integers(0, 20), st.just(key), PER_KEY[key])
    ),
    st.tuples(st.just("del"), st.integers(0, 20), st.sampled_from(list(PER_KEY)), st.none()),
    st.tuples(st.sampled_from(["drop", "twice"]), st.integers(0, 20), st.none(), st.none()),
    st.tuples(st.just("swap"), st.integers(0, 20), st.none(), st.sampled_from(SCALARS)),
)


@pytest.fixture(scope="module")
def app(tiny_model: TinyModel) -> Iterator[ModelServer]:
    with pytest.MonkeyPatch.context() as mp, serving_app(tiny_model.models, mp) as server:
        yield server


@pytest.fixture(scope="module")
def one_row(tiny_model: TinyModel) -> list[dict[str, Any]]:
    contract = contract_of(tiny_model.models)
    rows = read_rows(tiny_model.test_csv, contract)
    return to_tensors(rows[:1], contract)


def _mutated(tensors: list[dict[str, Any]], steps: list[tuple[str, int, Any, Any]]) -> list[Any]:
    out: list[Any] = copy.deepcopy(tensors)
    for op, i, key, value in steps:
        if not out:
            break
        j = i % len(out)
        if op == "set" and type(out[j]) is dict:
            out[j][key] = value
        elif op == "del" and type(out[j]) is dict:
            out[j].pop(key, None)
        elif op == "drop":
            out.pop(j)
        elif op == "twice":
            out.append(copy.deepcopy(out[j]))
        elif op == "swap":
            out[j] = value
    return out


def _general(schema: RequestSchema, inputs: list[Any]) -> Any:
    try:
        return oip._tensors(schema, inputs, None)
    except RequestError as err:
        return ("refused", err.status, err.message)


def test_a_valid_one_row_request_takes_the_fast_path(
    app: ModelServer, one_row: list[dict[str, Any]]
) -> None:
    fast = oip._one_row(app.schema, one_row)
    assert fast is not None
    assert (fast, 1) == _general(app.schema, one_row)
    body = {"inputs": one_row, "id": "r1"}
    assert oip.parse_infer(app.schema, body) == (fast, 1, "r1")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(steps=st.lists(mutation, max_size=3))
def test_the_fast_path_answers_only_as_the_general_path_does(
    app: ModelServer, one_row: list[dict[str, Any]], steps: list[tuple[str, int, Any, Any]]
) -> None:
    inputs = _mutated(one_row, steps)
    fast = oip._one_row(app.schema, inputs)
    general = _general(app.schema, inputs)
    if fast is not None:  # what it accepts, the general path accepts with the same columns
        assert (fast, 1) == general
    if general[0] == "refused":  # and every refusal goes down the general path, which names it
        assert fast is None


def _on(tensors: list[dict[str, Any]], name: str, **changes: Any) -> list[Any]:
    out = copy.deepcopy(tensors)
    for tensor in out:
        if tensor["name"] == name:
            tensor.update(changes)
    return out


@pytest.mark.parametrize(
    "change",
    [
        lambda t: _on(t, "Age", shape=[True]),  # [True] == [1] in Python
        lambda t: _on(t, "Age", data=[30.0]),  # INT64 holding a float, even a whole one
        lambda t: _on(t, "Income", datatype="INT64", data=[1.5]),
        lambda t: _on(t, "Age", datatype="FP32", data=[30.5]),  # a fraction for an int feature
        lambda t: _on(t, "Age", data=[[30]]),  # nested [[v]]: the general path flattens it
        lambda t: _on(t, "Home", datatype="INT64"),
        lambda t: _on(t, "Home", data=["flat"]),
        lambda t: _on(t, "Income", parameters=None),
        lambda t: _on(t, "Income", shape=[1, 1]),
        lambda t: t + t[:1],  # a tensor twice
        lambda t: t[1:],  # a tensor missing
    ],
)
def test_what_the_fast_path_leaves_to_the_general_path(
    app: ModelServer, one_row: list[dict[str, Any]], change: Any
) -> None:
    inputs = change(one_row)
    assert oip._one_row(app.schema, inputs) is None
    general = _general(app.schema, inputs)
    if general[0] == "refused":
        with pytest.raises(RequestError) as info:
            oip.parse_infer(app.schema, {"inputs": inputs})
        assert ("refused", info.value.status, info.value.message) == general
    else:
        assert oip.parse_infer(app.schema, {"inputs": inputs})[:2] == general
