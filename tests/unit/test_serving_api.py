"""The server's endpoints in process: happy paths, metadata, metrics and every bad input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="module")
def model_dir(tiny_model: TinyModel) -> Path:
    return tiny_model.models


@pytest.fixture(scope="module")
def rows(tiny_model: TinyModel, model_dir: Path) -> list[dict[str, Any]]:
    return read_rows(tiny_model.test_csv, contract_of(model_dir))


@pytest.fixture
def client(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    limits = {"MODEL_MAX_ROWS": "1000", "MODEL_MAX_BODY_BYTES": str(1 << 20)}
    with serving_client(model_dir, monkeypatch, **limits) as c:
        yield c


def test_health_and_server_metadata(client: Client) -> None:
    assert client.get("/v2/health/live").json() == {"live": True}
    ready = client.get("/v2/health/ready")
    assert ready.status_code == 200 and ready.json() == {"ready": True}
    assert client.get("/v2").json()["name"] == "credit-scoring-server"
    assert client.get(f"/v2/models/{MODEL}/ready").status_code == 200


def test_model_metadata_lists_every_input(client: Client, model_dir: Path) -> None:
    meta = client.get(f"/v2/models/{MODEL}").json()
    contract = contract_of(model_dir)
    assert [i["name"] for i in meta["inputs"]] == contract.feature_names
    kinds = {c.name: c.kind for c in contract.features}
    for spec in meta["inputs"]:
        expected = {"category": "BYTES", "int": "INT64", "float": "FP64"}[kinds[spec["name"]]]
        assert spec["datatype"] == expected and spec["shape"] == [-1]
    assert meta["outputs"] == [{"name": "probability", "datatype": "FP64", "shape": [-1]}]


def test_model_endpoint_reports_the_baked_provenance(client: Client, tiny_model: TinyModel) -> None:
    # build-info.json is what the image bakes; the work-tree fallback (git, data.dvc,
    # reports/metrics.json) is tests/integration/test_serving_workspace_provenance.py.
    info = client.get("/model").json()
    model_json = json.loads((tiny_model.models / "model.json").read_text())
    baked = tiny_model.build_info
    assert info["model_sha256"] == tiny_model.digest  # the digest over model.json + model.onnx
    assert info["version"] == tiny_model.digest[:12]
    assert info["data_md5"] == baked["data_md5"] and info["git_commit"] == baked["git_commit"]
    assert info["metrics"]["roc_auc"] == baked["metrics"]["roc_auc"]
    assert [f["name"] for f in info["features"]] == contract_of(tiny_model.models).feature_names
    assert info["threshold"] == model_json["threshold"]


def test_predict_one_row(client: Client, rows: list[dict[str, Any]]) -> None:
    body = client.post("/v1/predict", json={"instances": rows[:1]}).json()
    (pred,) = body["predictions"]
    assert 0.0 <= pred["probability"] <= 1.0
    assert pred["label"] == ("bad" if pred["probability"] >= body["threshold"] else "good")


def test_nullable_fields_accept_null_and_absence(
    client: Client, rows: list[dict[str, Any]]
) -> None:
    row = {**rows[0], "Income": None, "Home": None}
    assert client.post("/v1/predict", json={"instances": [row]}).status_code == 200
    del row["Assets"]  # nullable: absent means missing
    assert client.post("/v1/predict", json={"instances": [row]}).status_code == 200


@pytest.mark.parametrize("nested", [False, True])
def test_infer_matches_v1(
    client: Client, rows: list[dict[str, Any]], model_dir: Path, nested: bool
) -> None:
    batch = rows[:50]
    v1 = [
        p["probability"]
        for p in client.post("/v1/predict", json={"instances": batch}).json()["predictions"]
    ]
    tensors = to_tensors(batch, contract_of(model_dir), nested=nested)
    tensors[0]["datatype"] = "FP32"  # any numeric datatype is accepted for a number
    reply = client.post(INFER, json={"id": "req-1", "inputs": tensors})
    assert reply.status_code == 200, reply.text
    out = reply.json()
    assert out["id"] == "req-1" and out["model_name"] == MODEL
    assert out["outputs"][0]["name"] == "probability" and out["outputs"][0]["shape"] == [50]
    assert out["outputs"][0]["data"] == v1


def test_metrics_count_routes_scores_rows_and_version(
    client: Client, rows: list[dict[str, Any]]
) -> None:
    client.post("/v1/predict", json={"instances": rows[:7]})
    client.post("/v1/predict", content=b"{")
    text = client.get("/metrics").text
    assert 'model_http_requests_total{method="POST",route="/v1/predict",status="200"} 1.0' in text
    assert 'model_http_requests_total{method="POST",route="/v1/predict",status="400"} 1.0' in text
    assert (
        'model_http_request_duration_seconds_bucket{le="0.5",route="/v1/predict",status="200"} 1.0'
        in text
    )
    version = client.get("/model").json()["version"]  # scores are labelled with it
    assert f'model_rows_scored_total{{version="{version}"}} 7.0' in text
    assert f'model_prediction_score_bucket{{le="+Inf",version="{version}"}} 7.0' in text
    assert "model_info{" in text and 'name="credit-scoring"' in text
    assert "model_ready 1.0" in text


def test_routing_errors(client: Client) -> None:
    assert client.get("/nope").status_code == 404
    assert client.get("/v1/predict").status_code == 405
    assert client.post("/v2/health/ready").status_code == 405
    assert client.get("/v2/models/other-model").status_code == 404
    assert client.post("/v2/models/other-model/infer", json={}).status_code == 404
    assert client.get(f"/v2/models/{MODEL}/unknown").status_code == 404


def _row(rows: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {**rows[0], **changes}


V1_BAD = {
    "malformed JSON": (b'{"instances": [', 400, "malformed JSON"),
    "empty body": (b"", 400, "empty"),
    "not an object": (b"[1, 2]", 422, "body"),
    "unknown top-level field": (b'{"instances": [], "extra": 1}', 422, "extra"),
    "instances not a list": (b'{"instances": {"a": 1}}', 422, "instances"),
    "no rows": (b'{"instances": []}', 422, "at least 1 row"),
    "row not an object": (b'{"instances": [3]}', 422, "instances[0]"),
    "invalid utf-8": (b'{"instances": ["\xff"]}', 400, "not valid UTF-8"),
}


@pytest.mark.parametrize("case", V1_BAD)
def test_v1_rejects_bad_bodies(client: Client, case: str) -> None:
    body, status, needle = V1_BAD[case]
    reply = client.post("/v1/predict", content=body)
    assert reply.status_code == status, reply.text
    assert needle in reply.json()["error"]


FIELD_BAD: dict[str, tuple[dict[str, Any], str, str]] = {
    "unknown field": ({"Colour": "red"}, "Colour", "unknown field"),
    "string for a number": ({"Age": "thirty"}, "Age", "expected a number"),
    "boolean for a number": ({"Age": True}, "Age", "expected a number"),
    "non-integer for an int": ({"Age": 30.5}, "Age", "expected an integer"),
    "number for a category": ({"Home": 3}, "Home", "expected a string"),
    "unknown category": ({"Home": "castle"}, "Home", "unknown category"),
    "null for a required field": ({"Age": None}, "Age", "may not be null"),
    "float32 overflow": ({"Income": 1e39}, "Income", "out of range"),
    "array for a number": ({"Debt": [1]}, "Debt", "expected a number"),
}


@pytest.mark.parametrize("case", FIELD_BAD)
def test_v1_names_the_bad_field(client: Client, rows: list[dict[str, Any]], case: str) -> None:
    change, field, problem = FIELD_BAD[case]
    reply = client.post("/v1/predict", json={"instances": [rows[1], _row(rows, **change)]})
    assert reply.status_code == 422
    message = reply.json()["error"]
    assert f"instances[1].{field}" in message and problem in message


@pytest.mark.parametrize("case", FIELD_BAD)
def test_batches_name_the_bad_row(
    client: Client, rows: list[dict[str, Any]], model_dir: Path, case: str
) -> None:
    """Batches take the vectorised path; a bad value must still be named to the row."""
    change, field, problem = FIELD_BAD[case]
    batch = [*rows[:13], _row(rows, **change), *rows[13:20]]
    reply = client.post("/v1/predict", json={"instances": batch})
    assert reply.status_code == 422 and f"instances[13].{field}" in reply.json()["error"]
    if field == "Colour":
        return  # not a tensor of the contract; covered by OIP_BAD
    tensors = to_tensors(rows[:20], contract_of(model_dir))
    for tensor in tensors:
        if tensor["name"] == field:
            tensor["data"][13] = change[field]
    reply = client.post(INFER, json={"inputs": tensors})
    assert reply.status_code == 422 and f"inputs[{field}].data[13]" in reply.json()["error"]
    assert problem in reply.json()["error"] or "INT64" in reply.json()["error"]


def test_batch_with_nulls_matches_row_by_row(client: Client, rows: list[dict[str, Any]]) -> None:
    batch = [dict(r) for r in rows[:40]]
    batch[3]["Income"], batch[5]["Home"] = None, None
    together = client.post("/v1/predict", json={"instances": batch}).json()["predictions"]
    alone = [
        client.post("/v1/predict", json={"instances": [r]}).json()["predictions"][0] for r in batch
    ]
    assert together == alone


def test_v1_missing_required_field(client: Client, rows: list[dict[str, Any]]) -> None:
    row = dict(rows[0])
    del row["Age"]
    reply = client.post("/v1/predict", json={"instances": [row]})
    assert reply.status_code == 422 and "instances[0].Age: required field is missing" in reply.text


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400])
def test_v1_non_finite_numbers_name_the_field(
    client: Client, rows: list[dict[str, Any]], literal: str
) -> None:
    body = json.dumps({"instances": [_row(rows, Income=12345.5)]}).replace("12345.5", literal)
    reply = client.post("/v1/predict", content=body.encode())
    assert reply.status_code == 422, reply.text
    assert "instances[0].Income" in reply.json()["error"]


def test_too_many_rows(client: Client, rows: list[dict[str, Any]]) -> None:
    reply = client.post("/v1/predict", json={"instances": rows[:1] * 1001})
    assert reply.status_code == 422 and "limit of 1000" in reply.json()["error"]


def test_body_over_limit_is_413(client: Client) -> None:
    big = b'{"instances": [' + b" " * (1 << 20) + b"]}"
    assert client.post("/v1/predict", content=big).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # streamed: no content-length header
        for part in (b'{"instances": [', b" " * (1 << 20), b"]}"):
            yield part

    reply = client.post("/v1/predict", content=chunks())
    assert reply.status_code == 413 and "bytes" in reply.json()["error"]


def _tensors(rows: list[dict[str, Any]], model_dir: Path) -> list[dict[str, Any]]:
    return to_tensors(rows[:2], contract_of(model_dir))


def _edit(tensors: list[dict[str, Any]], name: str, **changes: Any) -> list[dict[str, Any]]:
    return [({**t, **changes} if t["name"] == name else t) for t in tensors]


COLOUR = {"name": "Colour", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]}
OIP_BAD: dict[str, tuple[Any, str]] = {
    "category as FP32": (lambda t: _edit(t, "Home", datatype="FP32"), "inputs[Home].datatype"),
    "number as BOOL": (lambda t: _edit(t, "Age", datatype="BOOL"), "inputs[Age].datatype"),
    "2-D shape": (lambda t: _edit(t, "Age", shape=[1, 2]), "inputs[Age].shape"),
    "data shorter than shape": (lambda t: _edit(t, "Age", shape=[3]), "inputs[Age].data"),
    "rows differ": (lambda t: _edit(t, "Age", shape=[1], data=[30]), "same N rows"),
    "unknown input": (lambda t: [*t, COLOUR], "Colour"),
    "duplicate input": (lambda t: [*t, t[0]], "given twice"),
    "missing tensor": (lambda t: t[1:], "missing tensor(s) for Seniority"),
    "INT64 holding a float": (lambda t: _edit(t, "Age", data=[30.5, 31.0]), "inputs[Age].data[0]"),
    "unknown category": (
        lambda t: _edit(t, "Home", data=["castle", "rent"]),
        "inputs[Home].data[0]",
    ),
    "string as a number": (lambda t: _edit(t, "Debt", data=["x", 1.0]), "inputs[Debt].data[0]"),
    "tensor not an object": (lambda t: [*t, 7], "inputs[13]"),
}


@pytest.mark.parametrize("case", OIP_BAD)
def test_infer_rejects_bad_tensors(
    client: Client, rows: list[dict[str, Any]], model_dir: Path, case: str
) -> None:
    mutate, needle = OIP_BAD[case]
    reply = client.post(INFER, json={"inputs": mutate(_tensors(rows, model_dir))})
    assert reply.status_code == 422, reply.text
    assert needle in reply.json()["error"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"inputs": []}, "inputs"),
        ({"inputs": [], "foo": 1}, "body.foo"),
        ([], "body"),
        ({"id": 3, "inputs": []}, "inputs"),
    ],
)
def test_infer_rejects_bad_envelopes(client: Client, body: Any, needle: str) -> None:
    reply = client.post(INFER, json=body)
    assert reply.status_code == 422 and needle in reply.json()["error"]
