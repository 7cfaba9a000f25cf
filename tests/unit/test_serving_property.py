"""Random JSON at the predict routes: every answer is a 2xx or 4xx, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
ROUTES = ["/v1/predict", f"/v2/models/{MODEL}/infer"]
FIELDS = ["instances", "inputs", "id", "Age", "Home", "Income", "name", "shape", "data", "datatype"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.sampled_from(["rent", "owner", "BYTES", "INT64", "FP32", "missing"]),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=5
        )
    ),
    max_leaves=20,
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def client(tiny_model: TinyModel) -> Iterator[Client]:
    with pytest.MonkeyPatch.context() as mp, serving_client(tiny_model.models, mp) as c:
        yield c


@pytest.fixture(scope="module")
def valid(tiny_model: TinyModel) -> dict[str, Any]:
    models = tiny_model.models
    rows = read_rows(tiny_model.test_csv, contract_of(models))[:3]
    return {"rows": rows, "tensors": to_tensors(rows, contract_of(models))}


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload).encode()  # stdlib: Python ints beyond 64 bits are valid JSON too


def _assert_no_5xx(client: Client, route: str, body: bytes) -> None:
    reply = client.post(route, content=body)
    assert reply.status_code < 500, (route, body[:200], reply.text)
    assert "error" in reply.json() or reply.status_code == 200


@SETTINGS
@given(payload=json_values, route=st.sampled_from(ROUTES))
def test_random_json_never_5xx(client: Client, payload: Any, route: str) -> None:
    _assert_no_5xx(client, route, _dumps(payload))


@SETTINGS
@given(body=st.binary(max_size=200), route=st.sampled_from(ROUTES))
def test_random_bytes_never_5xx(client: Client, body: bytes, route: str) -> None:
    _assert_no_5xx(client, route, body)


@SETTINGS
@given(data=st.data(), value=json_values)
def test_one_corrupted_field_never_5xx(
    client: Client, valid: dict[str, Any], data: Any, value: Any
) -> None:
    """Near-valid requests reach deep validation: one feature or tensor part replaced at random."""
    rows = [dict(r) for r in valid["rows"]]
    field = data.draw(st.sampled_from(sorted(rows[0])))
    rows[data.draw(st.integers(0, len(rows) - 1))][field] = value
    _assert_no_5xx(client, ROUTES[0], _dumps({"instances": rows}))
    tensors = [dict(t) for t in valid["tensors"]]
    tensor = tensors[data.draw(st.integers(0, len(tensors) - 1))]
    tensor[data.draw(st.sampled_from(["name", "shape", "datatype", "data"]))] = value
    _assert_no_5xx(client, ROUTES[1], _dumps({"inputs": tensors}))
