"""Many models per process: catalog formats, lazy loads, LRU under a budget, per-model pins."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from model.names import PIN_FILE
from model.serving.repository import MemoryBudget, read_catalog
from model.serving.repository_app import create_repository_app
from tests.unit.serving_helpers import SERVING_ENV, Client, contract_of, read_rows, to_tensors
from tests.unit.tiny_model import TinyModel

pytestmark = pytest.mark.unit
BAD_PIN = "0" * 64


def make_repository(tiny: TinyModel, root: Path, names: list[str]) -> Path:
    """A repository folder holding one copy of the tiny model per name."""
    for name in names:
        shutil.copytree(tiny.models, root / name)
    return root


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*SERVING_ENV, "MODEL_MEMORY_BUDGET", "MODEL_REQUIRE_PIN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def rows(tiny_model: TinyModel) -> list[dict[str, Any]]:
    return read_rows(tiny_model.test_csv, contract_of(tiny_model.models))[:5]


@pytest.fixture
def repo(tiny_model: TinyModel, tmp_path: Path) -> Path:
    return make_repository(tiny_model, tmp_path / "repo", ["a", "b", "c", "d"])


def serve(source: Path) -> Client:
    return Client(create_repository_app(source))


@pytest.fixture
def client(repo: Path, env: pytest.MonkeyPatch) -> Iterator[Client]:
    env.setenv("MODEL_MEMORY_BUDGET", "2")
    c = serve(repo)
    yield c
    c.close()


def infer(client: Client, name: str, rows: list[dict[str, Any]], tiny: TinyModel) -> Any:
    body = {"inputs": to_tensors(rows, contract_of(tiny.models))}
    return client.post(f"/v2/models/{name}/infer", json=body)


def states(client: Client) -> dict[str, str]:
    reply = client.post("/v2/repository/index")
    assert reply.status_code == 200
    return {entry["name"]: entry["state"] for entry in reply.json()}


# ---- catalog and budget (pure) -------------------------------------------------------------


def test_budget_is_a_count_or_a_size() -> None:
    assert MemoryBudget.parse("100") == MemoryBudget(models=100)
    assert MemoryBudget.parse("300MiB") == MemoryBudget(models=None, bytes=300 << 20)
    assert MemoryBudget.parse("1GB") == MemoryBudget(models=None, bytes=10**9)
    assert MemoryBudget.parse(None).models == 64
    for bad in ("0", "-1", "lots", "12 parsecs", "0MiB"):
        with pytest.raises(ValueError, match="MODEL_MEMORY_BUDGET must be"):
            MemoryBudget.parse(bad)


def test_an_index_lists_name_uri_and_sha256(tiny_model: TinyModel, tmp_path: Path) -> None:
    make_repository(tiny_model, tmp_path / "store", ["x"])
    digest = tiny_model.digest
    yaml_index = tmp_path / "models.yaml"
    yaml_index.write_text(f"- name: scorer\n  uri: store/x\n  sha256: sha256:{digest}\n")
    entry = read_catalog(yaml_index, require_pin=True)["scorer"]
    assert entry.path == tmp_path / "store" / "x" and entry.pin.digest == digest
    json_index = tmp_path / "models.json"
    uri = f"file://{tmp_path / 'store' / 'x'}"
    json_index.write_text(json.dumps({"other": {"uri": uri, "sha256": digest}}))
    assert read_catalog(json_index, require_pin=True)["other"].path == tmp_path / "store" / "x"


def _index(*entries: dict[str, Any]) -> str:
    return json.dumps([{"sha256": BAD_PIN, **e} for e in entries])


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (_index({"name": "a/b", "uri": "x"}), "must match"),
        (_index({"name": "a", "uri": "s3://bucket/a"}), "is not local"),
        (_index({"name": "a", "uri": ""}), "uri must be"),
        (json.dumps({"a": {"uri": "x", "sha256": BAD_PIN}, "b": 3}), "'b': uri must be"),
        ('"models.yaml"', "a list of"),
        (_index({"name": "a", "uri": "x"}, {"name": "a", "uri": "y"}), "listed twice"),
        ("[]", "no models"),
    ],
)
def test_bad_indexes_are_refused_at_start(tmp_path: Path, text: str, needle: str) -> None:
    index = tmp_path / "models.json"
    index.write_text(text)
    with pytest.raises(ValueError, match=needle):
        read_catalog(index, require_pin=False)


def test_a_missing_or_unquoted_sha256_is_refused(tmp_path: Path) -> None:
    index = tmp_path / "models.yaml"
    for sha in ("", f"sha256: {'1' * 64}"):  # YAML reads 64 digits as an integer
        index.write_text(f"- name: x\n  uri: store/x\n  {sha}\n")
        with pytest.raises(ValueError, match="sha256 must be a"):
            read_catalog(index, require_pin=False)


def test_require_pin_refuses_a_bare_directory(repo: Path) -> None:
    with pytest.raises(ValueError, match="index with a sha256"):
        read_catalog(repo, require_pin=True)


# ---- the server, in process -------------------------------------------------------------------


def test_models_load_lazily_on_first_request(
    client: Client, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    assert set(states(client).values()) == {"UNAVAILABLE"}
    assert client.get("/v2/models/a/ready").status_code == 503
    reply = infer(client, "a", rows, tiny_model)
    assert reply.status_code == 200, reply.text
    assert reply.json()["model_name"] == "a" and len(reply.json()["outputs"][0]["data"]) == 5
    assert states(client)["a"] == "READY"
    assert client.get("/v2/models/a/ready").json() == {"ready": True}
    version = client.get("/v2/models/a").json()["versions"][0]
    assert client.get(f"/v2/models/a/versions/{version}/ready").status_code == 200
    assert client.get("/v2/models/a/versions/nope/ready").status_code == 503


def test_scores_match_the_single_model_server(
    client: Client, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    from tests.unit.serving_helpers import client_for

    single = client_for(tiny_model.models)
    try:
        body = {"inputs": to_tensors(rows, contract_of(tiny_model.models))}
        want = single.post("/v2/models/credit-scoring/infer", json=body).json()["outputs"]
    finally:
        single.close()
    assert infer(client, "b", rows, tiny_model).json()["outputs"] == want


def test_lru_eviction_under_a_model_budget(
    client: Client, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    for name in ("a", "b", "a", "c"):  # budget 2: c evicts b, the least recently used
        assert infer(client, name, rows, tiny_model).status_code == 200
    assert states(client) == {"a": "READY", "b": "UNAVAILABLE", "c": "READY", "d": "UNAVAILABLE"}
    metrics = client.get("/metrics").text
    assert 'model_repository_evictions_total{model="b"} 1.0' in metrics
    assert "model_repository_resident_models 2.0" in metrics
    assert infer(client, "b", rows, tiny_model).status_code == 200  # reloads on demand
    assert states(client)["a"] == "UNAVAILABLE"


def test_byte_budget_keeps_what_fits(
    repo: Path, env: pytest.MonkeyPatch, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    env.setenv("MODEL_MEMORY_BUDGET", "1KiB")  # smaller than any model: only the newest stays
    client = serve(repo)
    try:
        for name in ("a", "b", "c"):
            assert infer(client, name, rows, tiny_model).status_code == 200
        assert [n for n, s in states(client).items() if s == "READY"] == ["c"]
    finally:
        client.close()


def test_model_labels_are_bounded_by_the_budget(
    client: Client, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    for name in ("a", "b", "c", "d"):
        assert infer(client, name, rows, tiny_model).status_code == 200
    lines = [x for x in client.get("/metrics").text.splitlines() if x.startswith("model_repo")]
    labels = {x.split('model="')[1].split('"')[0] for x in lines if 'model="' in x}
    assert labels == {"a", "b", "other"}  # budget 2: two names, then "other"


def test_a_model_failing_its_pin_is_never_ready_and_others_serve(
    client: Client, repo: Path, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    (repo / "c" / PIN_FILE).write_text(BAD_PIN + "\n")
    reply = infer(client, "c", rows, tiny_model)
    assert reply.status_code == 503 and f"pins {BAD_PIN}" in reply.json()["error"]
    assert client.get("/v2/models/c/ready").status_code == 503
    assert client.post("/v2/repository/models/c/load").status_code == 503  # retried, still bad
    assert "pins" in client.post("/v2/repository/index").json()[2]["reason"]
    assert infer(client, "a", rows, tiny_model).status_code == 200
    assert (
        'model_repository_loads_total{model="c",outcome="failed"} 2.0'
        in client.get("/metrics").text
    )
    (repo / "c" / PIN_FILE).write_text(tiny_model.digest + "\n")  # the fix: load retries
    assert client.post("/v2/repository/models/c/load").status_code == 200
    assert states(client)["c"] == "READY"


def test_repository_extension_routes(client: Client) -> None:
    assert client.post("/v2/repository/models/a/load").json() == {}
    assert client.post("/v2/repository/index", json={"ready": True}).json()[0]["name"] == "a"
    assert client.post("/v2/repository/models/a/unload").status_code == 200
    assert states(client)["a"] == "UNAVAILABLE"
    assert client.post("/v2/repository/models/zz/load").status_code == 404
    assert client.post("/v2/repository/models/zz/unload").status_code == 404
    assert client.get("/v2/repository/models/a/load").status_code == 405
    assert client.post("/v2/repository/index", json={"ready": 1}).status_code == 422
    assert client.get("/v2/models/zz/ready").status_code == 404
    assert "model_repository" in client.get("/v2").json()["extensions"]


def test_bytes_changed_after_start_fail_only_that_model(
    repo: Path, env: pytest.MonkeyPatch, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    index = repo.parent / "models.yaml"
    index.write_text(
        "".join(f"- {{name: {n}, uri: repo/{n}, sha256: {tiny_model.digest}}}\n" for n in "ab")
    )
    env.setenv("MODEL_REQUIRE_PIN", "1")  # an index carries deploy-time pins: allowed
    client = serve(index)
    try:
        with (repo / "b" / "model.onnx").open("ab") as fh:
            fh.write(b"\0")
        reply = infer(client, "b", rows, tiny_model)
        assert reply.status_code == 503 and "models.yaml entry 'b' pins" in reply.json()["error"]
        assert str(index) not in reply.json()["error"]  # a served reason names no path
        assert infer(client, "a", rows, tiny_model).status_code == 200
    finally:
        client.close()


def test_repository_openapi_covers_every_route_and_fuzzing_finds_no_5xx(client: Client) -> None:
    from openapi_spec_validator import validate

    from tests.unit.openapi_fuzz import fuzz_no_5xx, served_routes

    doc = client.get("/openapi.json").json()
    validate(doc)
    app = client.app
    served = served_routes(app) | {
        ("post", f"/v2/repository/models/{{model_name}}/{action}") for action in app.repo_routes
    }
    documented = {(m, p) for p, item in doc["paths"].items() for m in item if m != "parameters"}
    assert served == documented
    fuzz_no_5xx(client, served)


def _resident_bytes(client: Client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("model_repository_resident_bytes "):
            return float(line.split()[1])
    raise AssertionError("no model_repository_resident_bytes in /metrics")


def retrained(folder: Path, threshold: float) -> None:
    """Make `folder` another model: a new threshold, so a new bundle digest and pin."""
    from model.core.artifact import bundle_sha256, read_bundle

    meta = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps(meta | {"threshold": threshold}))
    (folder / PIN_FILE).write_text(bundle_sha256(read_bundle(folder)) + "\n")


def test_names_pinning_one_digest_share_one_load(
    repo: Path, env: pytest.MonkeyPatch, rows: list[dict[str, Any]], tiny_model: TinyModel
) -> None:
    retrained(repo / "c", 0.25)  # a, b and d stay copies of one bundle
    client = serve(repo)
    try:
        assert infer(client, "a", rows, tiny_model).status_code == 200
        one = _resident_bytes(client)
        assert one > 0
        assert infer(client, "b", rows, tiny_model).status_code == 200
        assert _resident_bytes(client) == one  # b pins a's digest: no second session
        assert infer(client, "c", rows, tiny_model).status_code == 200
        both = _resident_bytes(client)
        assert both > one  # another digest is another load
        assert client.post("/v2/repository/models/a/unload").status_code == 200
        assert _resident_bytes(client) == both  # b still holds the bundle
        assert infer(client, "b", rows, tiny_model).status_code == 200
        assert client.post("/v2/repository/models/b/unload").status_code == 200
        assert _resident_bytes(client) == both - one  # its last name gone: the load is freed
        assert states(client) == {"a": "UNAVAILABLE", "b": "UNAVAILABLE", "c": "READY",
                                  "d": "UNAVAILABLE"}  # fmt: skip
    finally:
        client.close()
