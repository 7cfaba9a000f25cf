"""Models of one data contract share their request schema and one-row feed (CPU caches).

A repository of many models trained on one dataset takes turns through the same validation
objects instead of one copy per model; a model with another contract gets its own.
"""

from __future__ import annotations

import json

import pytest

from model.names import META_FILE, ONNX_FILE
from model.serving import loaded
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


def files(tiny_model: TinyModel, meta: dict | None = None) -> dict[str, bytes]:
    folder = tiny_model.models
    raw = (folder / META_FILE).read_bytes() if meta is None else json.dumps(meta).encode()
    return {META_FILE: raw, ONNX_FILE: (folder / ONNX_FILE).read_bytes()}


def test_models_of_one_contract_share_schema_and_feed(tiny_model: TinyModel) -> None:
    first = loaded.build(files(tiny_model), 100, 1)
    # the same contract written with its keys in another order is the same contract
    meta = json.loads((tiny_model.models / META_FILE).read_text())
    meta["contract"] = dict(reversed(list(meta["contract"].items())))
    second = loaded.build(files(tiny_model, meta), 100, 1)
    assert second.schema is first.schema
    assert second.model.one is first.model.one
    assert second.model.session is not first.model.session  # each model keeps its own run
    # the compiled scorers share where inputs land in the row, not the trees
    one, two = first.model.compiled, second.model.compiled
    assert one is not None and two is not None
    assert two.layout is one.layout and two._thresholds is not one._thresholds


def test_another_contract_or_row_limit_gets_its_own_schema(tiny_model: TinyModel) -> None:
    base = loaded.build(files(tiny_model), 100, 1)
    assert loaded.build(files(tiny_model), 5, 1).schema is not base.schema
    meta = json.loads((tiny_model.models / META_FILE).read_text())
    feature = next(f for f in meta["contract"]["features"] if f.get("categories"))
    feature["categories"] = feature["categories"][:-1]
    other = loaded.build(files(tiny_model, meta), 100, 1)
    assert other.schema is not base.schema
    assert other.schema.by_name[feature["name"]].column.categories == tuple(feature["categories"])
