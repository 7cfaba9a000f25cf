"""Hostile request bodies and headers, in process: never a 500, every response counted."""

from __future__ import annotations

import re
from collections.abc import Iterator
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

pytestmark = [pytest.mark.unit, pytest.mark.security]
INFER = f"/v2/models/{MODEL}/infer"
SURROGATE = '"\\ud800"'  # a JSON escape of a lone UTF-16 surrogate: valid JSON, invalid Unicode


@pytest.fixture(scope="module")
def row(tiny_model: TinyModel) -> dict[str, Any]:
    return read_rows(tiny_model.test_csv, contract_of(tiny_model.models))[0]


@pytest.fixture
def client(tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    with serving_client(tiny_model.models, monkeypatch) as c:
        yield c


def counted(client: Client) -> int:
    """Requests /metrics has counted so far (excluding the scrape itself)."""
    text = client.get("/metrics").text
    found = re.findall(r"^model_http_requests_total\{(.*)\} (\S+)$", text, re.M)
    return int(sum(float(v) for labels, v in found if 'route="/metrics"' not in labels))


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value)


def surrogate_bodies(row: dict[str, Any], tensors: list[dict[str, Any]]) -> dict[str, Any]:
    """name -> (route, raw JSON body holding a lone surrogate)."""
    bad = SURROGATE
    inst = '{"instances": [' + _json_text(row)[:-1]
    inputs = _json_text(tensors)
    tensor = '{"name": ' + bad + ', "datatype": "FP64", "shape": [1], "data": [1]}'
    return {
        "v1 instance key": ("/v1/predict", inst + ", " + bad + ": 1}]}"),
        "v1 top-level key": ("/v1/predict", "{" + bad + ': 1, "instances": []}'),
        "v1 category value": ("/v1/predict", inst + ', "Home": ' + bad + "}]}"),
        "oip id": (INFER, '{"id": ' + bad + ', "inputs": ' + inputs + "}"),
        "oip top-level key": (INFER, "{" + bad + ': 1, "inputs": ' + inputs + "}"),
        "oip tensor name": (INFER, '{"inputs": [' + tensor + "]}"),
    }


@pytest.mark.parametrize(
    "case",
    ["v1 instance key", "v1 top-level key", "v1 category value", "oip id", "oip top-level key",
     "oip tensor name"],
)  # fmt: skip
def test_lone_surrogates_are_400_and_counted(
    client: Client, row: dict[str, Any], tiny_model: TinyModel, case: str
) -> None:
    tensors = to_tensors([row], contract_of(tiny_model.models))
    route, body = surrogate_bodies(row, tensors)[case]
    before = counted(client)
    reply = client.post(route, content=body.encode(), headers={"content-type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert "surrogate" in reply.json()["error"]
    assert counted(client) == before + 1


@pytest.mark.parametrize(
    ("headers", "needle"),
    [
        ({"content-type": "text/plain"}, "Content-Type 'text/plain' is not supported"),
        ({"content-type": "application/x-www-form-urlencoded"}, "send application/json"),
        ({"content-type": "application/json; charset=utf-16"}, "charset 'utf-16'"),
        ({"content-encoding": "gzip"}, "Content-Encoding 'gzip'"),
        ({"content-encoding": "br\x01"}, "send the body uncompressed"),
        ({"inference-header-content-length": "10"}, "binary_data=False"),
    ],
)  # fmt: skip
def test_bad_media_is_415_with_a_clear_message(
    client: Client, row: dict[str, Any], headers: dict[str, str], needle: str
) -> None:
    before = counted(client)
    body = _json_text({"instances": [row]}).encode()
    reply = client.post("/v1/predict", content=body, headers=headers)
    assert reply.status_code == 415, reply.text
    assert needle in reply.json()["error"]
    assert reply.headers["connection"] == "close"  # the unread body is never parsed further
    assert counted(client) == before + 1


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=UTF-8", "application/vnd.x+json", None],
)
def test_json_media_types_are_accepted(
    client: Client, row: dict[str, Any], content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = _json_text({"instances": [row]}).encode()
    assert client.post("/v1/predict", content=body, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{\x00}\x00",
        '{"instances": [{"Home": "\u00e9"}]}'.encode("latin-1"),
        b"\xed\xa0\x80",
    ],
)
def test_bodies_that_are_not_utf8_are_400(client: Client, body: bytes) -> None:
    before = counted(client)
    reply = client.post("/v1/predict", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert counted(client) == before + 1


def test_a_handler_crash_is_counted(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(body: bytes, param: str) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setitem(client.app.routes, "/v2", ("GET", boom))
    before = counted(client)
    assert client.get("/v2").status_code == 500
    assert counted(client) == before + 1


def test_an_unserialisable_error_message_is_still_answered(client: Client) -> None:
    from model.serving.schema import RequestError

    def hostile(body: bytes, param: str) -> Any:
        raise RequestError(422, "field \ud800 is bad")

    client.app.routes["/v2"] = ("GET", hostile)
    before = counted(client)
    reply = client.get("/v2")
    assert reply.status_code == 422
    assert counted(client) == before + 1
