"""GET /openapi.json: a valid OpenAPI 3.1 document of every route, generated from the contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.unit.openapi_fuzz import fuzz_no_5xx, served_routes
from tests.unit.serving_helpers import Client, contract_of, serving_client
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def server(tiny_model: TinyModel) -> Iterator[Client]:
    with pytest.MonkeyPatch.context() as mp, serving_client(tiny_model.models, mp) as client:
        yield client


@pytest.fixture(scope="module")
def doc(server: Client) -> dict[str, Any]:
    reply = server.get("/openapi.json")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    return reply.json()


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any structural error


def test_every_served_route_is_documented(server: Client, doc: dict[str, Any]) -> None:
    documented = {(m, p) for p, item in doc["paths"].items() for m in item if m != "parameters"}
    missing = served_routes(server.app) - documented
    assert not missing, f"routes served but not in /openapi.json: {sorted(missing)}"
    assert not documented - served_routes(server.app), "documented routes the app lacks"


def test_schemas_come_from_the_contract(doc: dict[str, Any], tiny_model: TinyModel) -> None:
    instance = doc["components"]["schemas"]["Instance"]
    contract = contract_of(tiny_model.models)
    for col in contract.features:
        prop = instance["properties"][col.name]
        if col.kind == "category":
            assert [v for v in prop["enum"] if v is not None] == list(col.categories)
        if col.minimum is not None:
            assert prop["minimum"] == col.minimum and prop["maximum"] == col.maximum
        assert ("null" in prop["type"]) == col.nullable
        assert (col.name in instance["required"]) == (not col.nullable)


def _examples(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(location, schema, example) of every media example in the document."""
    if isinstance(node, dict):
        if "example" in node and "schema" in node:
            yield where, node["schema"], node["example"]
        for key, value in node.items():
            yield from _examples(value, f"{where}/{key}")


def test_examples_validate_against_their_schemas(doc: dict[str, Any]) -> None:
    found = list(_examples(doc["paths"]))
    assert len(found) >= 4  # predict request and response, infer request on both path forms
    for where, schema, example in found:
        validator = Draft202012Validator({**schema, "components": doc["components"]})
        errors = [e.message for e in validator.iter_errors(example)]
        assert not errors, f"{where}: {errors}"


def test_examples_are_accepted_by_the_server(server: Client, doc: dict[str, Any]) -> None:
    post = doc["paths"]["/v1/predict"]["post"]
    example = post["requestBody"]["content"]["application/json"]["example"]
    reply = server.post("/v1/predict", json=example)
    assert reply.status_code == 200, reply.text
    schema = {"$ref": "#/components/schemas/PredictResponse", "components": doc["components"]}
    Draft202012Validator(schema).validate(reply.json())
    infer = doc["paths"]["/v2/models/{model_name}/infer"]["post"]
    example = infer["requestBody"]["content"]["application/json"]["example"]
    assert server.post("/v2/models/credit-scoring/infer", json=example).status_code == 200


def test_fuzzing_the_document_finds_no_5xx(server: Client) -> None:
    fuzz_no_5xx(server, served_routes(server.app))
