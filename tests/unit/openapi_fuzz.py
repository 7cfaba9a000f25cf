"""Shared by the OpenAPI tests: the routes an app dispatches, and a bounded schemathesis run."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.unit.serving_helpers import Client


def served_routes(app: Any) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route the app dispatches."""
    routes = {(method.lower(), path) for path, (method, _) in app.routes.items()}
    for prefix in ("/v2/models/{model_name}", "/v2/models/{model_name}/versions/{model_version}"):
        routes |= {(m.lower(), prefix + rest) for rest, (m, _) in app.model_routes.items()}
    return routes


def fuzz_no_5xx(client: Client, served: set[tuple[str, str]], examples: int = 60) -> None:
    """Schema-driven requests for every operation (bounded): no 5xx, 2xx bodies conform."""
    api = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in api.get_all_operations()]
    # schemathesis leaves out the document it was loaded from
    expected = {f"{m.upper()} {p}" for m, p in served} - {"GET /openapi.json"}
    assert {op.label for op in operations} == expected
    calls: list[int] = []

    @given(data=st.data())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck),
              database=None, derandomize=True)  # fmt: skip
    def check(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        response = case.call()
        calls.append(response.status_code)
        assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"
        if response.status_code < 300 and "json" in response.headers.get("content-type", [""])[0]:
            case.validate_response(response, checks=[response_schema_conformance])

    check()
    assert len(calls) >= examples and any(code < 300 for code in calls)
