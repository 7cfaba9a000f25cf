"""The registry finds a model's version past MLflow's first page (1,000 versions), for real.

MLflow answers `model-versions/search` one page at a time, newest first; a release looking up
its model by sha256 must follow `next_page_token`, or an old model is "not registered" once a
name holds more than a page of versions, and `model register` registers it a second time.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from model.tracking import registry
from tests.loopback import mlflow_api

PAGE = 1000  # MLflow's page cap the registry asks for
VERSIONS = PAGE + 1


def sha(i: int) -> str:
    return f"{i:064x}"


def test_a_version_beyond_the_first_page_is_found(mlflow_server: str) -> None:
    name = f"pagination-{uuid.uuid4().hex[:8]}"
    mlflow_api(mlflow_server, "POST", "registered-models/create", {"name": name})

    def create(i: int) -> None:
        body = {"name": name, "source": f"dvc://models/model.onnx?rev={i}",
                "tags": [{"key": "model_sha256", "value": sha(i)}]}  # fmt: skip
        mlflow_api(mlflow_server, "POST", "model-versions/create", body)

    create(0)  # version 1: the oldest, so the last of a newest-first listing
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, range(1, VERSIONS)))
    page = mlflow_api(mlflow_server, "GET", "model-versions/search",
                      {"filter": f"name='{name}'", "max_results": PAGE})  # fmt: skip
    assert len(page["model_versions"]) == PAGE and page.get("next_page_token"), (
        "expected MLflow to split the versions over more than one page"
    )
    found = registry.find_version(mlflow_server, sha(0), name=name)
    assert found is not None, f"version 1 of {VERSIONS} was not found: the search stopped at page 1"
    assert found["version"] == "1"
    newest = registry.find_version(mlflow_server, sha(VERSIONS - 1), name=name)
    assert newest is not None and newest["version"] != "1"  # and the first page still counts
