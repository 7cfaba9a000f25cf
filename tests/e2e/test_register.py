"""`model register` from the release's own facts, against a real MLflow server on loopback.

CI never trains, so register must work with no MLflow run (and link the run when one exists);
a configured but unreachable server is a failure, and only "not configured" is a (loud) skip.
"""

from __future__ import annotations

import hashlib
import socket
import urllib.error
from pathlib import Path

import pytest

from model.gitops import facts
from tests.conftest import run
from tests.fleet_standins import pin_standins
from tests.loopback import mlflow_api
from tests.unit.gitops_repo import MODEL_BYTES, git, make_repo

pytestmark = pytest.mark.e2e
IMAGE = "ghcr.io/org/credit-scoring@sha256:" + "d" * 64


def _repo(tmp_path: Path, salt: str) -> tuple[Path, str]:
    """A repo pinning a model of its own (so tests sharing one server never collide)."""
    repo = make_repo(tmp_path / "repo")
    model = f"model bytes for {salt} {tmp_path.name}\n".encode()
    (repo / "models/model.onnx").write_bytes(model)
    lock = (repo / "dvc.lock").read_text()
    old = hashlib.md5(MODEL_BYTES, usedforsecurity=False)
    new = hashlib.md5(model, usedforsecurity=False)
    (repo / "dvc.lock").write_text(lock.replace(old.hexdigest(), new.hexdigest()))
    git(repo, "commit", "-qam", "pin a model of its own")
    return repo, facts.model_sha256(repo, git(repo, "rev-parse", "HEAD").strip())


def _versions(uri: str, sha: str, name: str = "credit-scoring") -> list[dict[str, object]]:
    """The versions of registered model `name` whose model_sha256 tag is `sha`, tags as a dict."""
    found = mlflow_api(uri, "GET", "model-versions/search", {"filter": f"name='{name}'"})
    out = []
    for v in found.get("model_versions", []):  # type: ignore[union-attr]
        tags = {t["key"]: t["value"] for t in v.get("tags", [])}
        if tags.get("model_sha256") == sha:
            out.append({**v, "tags": tags})
    return out


def _register_once(
    uri: str, repo: Path, sha: str, args: list[str], name: str = "credit-scoring"
) -> tuple[dict[str, object], dict[str, str], str]:
    """`model register ARGS`: (the one version of `sha` it made, that version's tags, stdout)."""
    out = run(["model", "register", *args], repo, env={"MLFLOW_TRACKING_URI": uri}).stdout
    (version,) = _versions(uri, sha, name)
    tags = version["tags"]
    assert isinstance(tags, dict)
    return version, tags, out


def _registered_once_only(
    uri: str, repo: Path, sha: str, args: list[str], version: dict[str, object], name: str
) -> None:
    """Running `model register ARGS` again says so and adds no second version."""
    again = run(["model", "register", *args], repo, env={"MLFLOW_TRACKING_URI": uri}).stdout
    assert f"already registered: {name} v{version['version']}" in again
    assert len(_versions(uri, sha, name)) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_registers_from_release_facts_without_a_run(mlflow_server: str, tmp_path: Path) -> None:
    repo, sha = _repo(tmp_path, "no-run")
    version, tags, out = _register_once(mlflow_server, repo, sha, ["--image", IMAGE])
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert tags["git_commit"] == commit and tags["image"] == IMAGE
    assert tags["model_version"] == sha[:12] and tags["data_md5"] == "1" * 32 + ".dir"
    assert tags["mlflow_run"] == "none" and version["run_id"] == ""
    assert version["source"] == f"docker:///{IMAGE}"
    assert f"registered credit-scoring v{version['version']}" in out
    args = ["--image", IMAGE]
    _registered_once_only(mlflow_server, repo, sha, args, version, "credit-scoring")


def test_a_local_image_name_without_a_registry_host_registers(
    mlflow_server: str, tmp_path: Path
) -> None:
    # `make demo` releases `credit-scoring@sha256:…` (no registry host, no slash): MLflow 3
    # refused `docker://credit-scoring@…` with a 400, since the name parses as a URI host.
    repo, sha = _repo(tmp_path, "local-image")
    local = "credit-scoring@sha256:" + "e" * 64
    run(["model", "register", "--image", local], repo, env={"MLFLOW_TRACKING_URI": mlflow_server})
    (version,) = _versions(mlflow_server, sha)
    assert version["source"] == f"docker:///{local}"


def test_links_the_run_and_the_promotion_records_it(mlflow_server: str, tmp_path: Path) -> None:
    repo, sha = _repo(tmp_path, "with-run")
    tags = [{"key": "model_sha256", "value": sha}]
    info = mlflow_api(mlflow_server, "POST", "runs/create", {"experiment_id": "0", "tags": tags})
    run_id = info["run"]["info"]["run_id"]  # type: ignore[index]
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    run(["model", "register", "--image", IMAGE], repo, env=env)
    (version,) = _versions(mlflow_server, sha)
    assert version["run_id"] == run_id and version["tags"]["mlflow_run"] == run_id  # type: ignore[index]
    run(["model", "promote", "staging", "--image", IMAGE], repo, env=env)
    trailers = git(repo, "log", "-1", "--format=%(trailers)")
    assert f"Mlflow-Run: {run_id}" in trailers


def test_an_unreachable_server_fails_instead_of_skipping(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path, "unreachable")
    uri = f"http://127.0.0.1:{_closed_port()}"
    proc = run(["model", "register", "--image", IMAGE], repo, check=False,
               env={"MLFLOW_TRACKING_URI": uri})  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "skipped" not in (proc.stdout + proc.stderr).lower()
    assert f"MLFLOW_TRACKING_URI={uri} is not reachable" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_not_configured_is_a_loud_skip(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path, "unconfigured")
    env = {"MLFLOW_TRACKING_URI": "", "MODEL_STATE_DIR": str(tmp_path / "no-server"),
           "GITHUB_ACTIONS": "true"}  # fmt: skip
    proc = run(["model", "register", "--image", IMAGE], repo, env=env)
    assert "::warning" in proc.stdout and "NOT registered" in proc.stdout


@pytest.mark.security
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--image", "ghcr.io/org/cs:latest\nInjected: 1"], {}),
        (["--image", IMAGE, "--run-id", "abc' OR 1=1"], {}),
        (["--image", IMAGE], {"MLFLOW_TRACKING_URI": "file:///etc"}),
    ],
)
def test_hostile_inputs_are_refused_before_any_request(
    tmp_path: Path, mlflow_server: str, args: list[str], env: dict[str, str]
) -> None:
    repo, sha = _repo(tmp_path, "hostile")
    proc = run(["model", "register", *args], repo, check=False,
               env={"MLFLOW_TRACKING_URI": mlflow_server, **env})  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert _versions(mlflow_server, sha) == []


def test_the_alias_sync_fails_too_when_the_server_is_unreachable(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path, "alias-unreachable")
    uri = f"http://127.0.0.1:{_closed_port()}"
    proc = run(["model", "promote", "staging", "--image", IMAGE], repo, check=False,
               env={"MLFLOW_TRACKING_URI": uri})  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "skipped" not in proc.stdout.lower()
    assert f"MLFLOW_TRACKING_URI={uri} is not reachable" in proc.stderr


@pytest.mark.security
def test_an_unreachable_uri_with_credentials_is_reported_without_them(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path, "credentials")
    port = _closed_port()
    uri = f"http://ci-bot:s3cr3t-token@127.0.0.1:{port}"
    proc = run(["model", "register", "--image", IMAGE], repo, check=False,
               env={"MLFLOW_TRACKING_URI": uri})  # fmt: skip
    assert proc.returncode == 1
    assert "s3cr3t-token" not in proc.stdout + proc.stderr and "ci-bot" not in proc.stderr
    assert f"http://127.0.0.1:{port} is not reachable" in proc.stderr


# Fleet models: each is its own MLflow registered model, named as the model.
FLEET = "churn"
FLEET_IMAGE = "ghcr.io/acme/churn@sha256:" + "c" * 64


def _fleet_repo(tmp_path: Path, salt: str) -> tuple[Path, str]:
    """A repo with the root model and fleet/churn pinning a model of its own."""
    repo = make_repo(tmp_path / "repo")
    return repo, pin_standins(repo, FLEET, f"{salt} {tmp_path.name}")


def test_a_fleet_model_registers_as_its_own_model_from_its_folder_facts(
    mlflow_server: str, tmp_path: Path
) -> None:
    repo, sha = _fleet_repo(tmp_path, "fleet-register")
    args = ["--model", FLEET, "--image", FLEET_IMAGE]
    version, tags, out = _register_once(mlflow_server, repo, sha, args, FLEET)
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert tags["model"] == FLEET and tags["git_commit"] == commit and tags["image"] == FLEET_IMAGE
    assert tags["model_version"] == sha[:12]
    assert tags["data_md5"] == facts.data_md5(repo, commit, f"fleet/{FLEET}") != "unknown"
    assert version["source"] == f"docker:///{FLEET_IMAGE}"
    assert f"registered {FLEET} v{version['version']}" in out
    assert _versions(mlflow_server, sha) == []  # not a version of credit-scoring
    _registered_once_only(mlflow_server, repo, sha, ["--model", FLEET], version, FLEET)


def test_a_fleet_model_without_an_image_points_at_its_own_dvc_lock(
    mlflow_server: str, tmp_path: Path
) -> None:
    repo, sha = _fleet_repo(tmp_path, "fleet-no-image")
    run(["model", "register", "--model", FLEET], repo, env={"MLFLOW_TRACKING_URI": mlflow_server})
    (version,) = _versions(mlflow_server, sha, FLEET)
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert version["source"] == f"dvc://fleet/{FLEET}/models/model.onnx?rev={commit}"


def test_a_fleet_model_not_pulled_is_a_clear_failure_not_the_root_models_bytes(
    mlflow_server: str, tmp_path: Path
) -> None:
    repo, sha = _fleet_repo(tmp_path, "fleet-not-pulled")
    (repo / f"fleet/{FLEET}/models/model.onnx").unlink()
    proc = run(["model", "register", "--model", FLEET], repo, check=False,
               env={"MLFLOW_TRACKING_URI": mlflow_server})  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"fleet/{FLEET}/models/model.onnx with md5" in proc.stderr
    assert f"run `dvc pull` in fleet/{FLEET} first" in proc.stderr
    assert _versions(mlflow_server, sha, FLEET) == []


def _alias(uri: str, alias: str, name: str) -> dict[str, object] | None:
    try:
        found = mlflow_api(uri, "GET", "registered-models/alias", {"name": name, "alias": alias})
    except urllib.error.HTTPError:
        return None
    version = found["model_version"]
    assert isinstance(version, dict)
    return {**version, "tags": {t["key"]: t["value"] for t in version.get("tags", [])}}


@pytest.mark.parametrize("how", [["--model", FLEET], ["--changed-in", "HEAD"]])
def test_sync_aliases_points_a_fleet_models_alias_at_its_promotion(
    mlflow_server: str, tmp_path: Path, how: list[str]
) -> None:
    repo, sha = _fleet_repo(tmp_path, f"fleet-alias {how[0]}")
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    run(["model", "register", "--model", FLEET, "--image", FLEET_IMAGE], repo, env=env)
    before = _alias(mlflow_server, "staging", "credit-scoring")
    promote = ["model", "promote", "staging", "--model", FLEET, "--image", FLEET_IMAGE]
    run(promote, repo, env={"MODEL_REGISTRY": "0"})
    out = run(["model", "register", "--sync-aliases", *how], repo, env=env).stdout
    version = _alias(mlflow_server, "staging", FLEET)
    assert version is not None and version["tags"]["model_sha256"] == sha  # type: ignore[index]
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert version["tags"]["staging_commit"] == commit  # type: ignore[index]
    assert f"MLflow alias staging -> {FLEET} v{version['version']}" in out
    assert "credit-scoring" not in out  # only the model the commit re-pinned
    assert _alias(mlflow_server, "staging", "credit-scoring") == before


def test_changed_in_a_commit_that_pins_no_model_syncs_nothing(
    mlflow_server: str, tmp_path: Path
) -> None:
    repo, _ = _fleet_repo(tmp_path, "fleet-nothing")
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    out = run(["model", "register", "--sync-aliases", "--changed-in", "HEAD"], repo, env=env).stdout
    assert "no model's pins changed in HEAD" in out and " -> " not in out


def _registered(uri: str, name: str) -> bool:
    try:
        mlflow_api(uri, "GET", "registered-models/get", {"name": name})
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
        return False
    return True


@pytest.mark.security
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--model", "Churn; touch x"], "model name: expected"),
        (["--model", "../prod"], "model name: expected"),
        (["--model", "no-such-model"], "not a model folder"),
        (["--sync-aliases", "--model", "$(touch x)"], "model name: expected"),
        (["--sync-aliases", "--model", "no-such-model"], "not a model folder"),
        (["--sync-aliases", "--changed-in", "--all"], "--changed-in: expected a commit"),
        (["--sync-aliases", "--changed-in", "nope"], "is not a commit"),
        (["--sync-aliases", "--model", FLEET, "--changed-in", "HEAD"], "without --model"),
        (["--changed-in", "HEAD"], "goes with --sync-aliases"),
    ],
)
def test_a_bad_or_unknown_model_is_a_usage_error_before_anything_is_sent(
    mlflow_server: str, tmp_path: Path, args: list[str], says: str
) -> None:
    repo, sha = _fleet_repo(tmp_path, "fleet-hostile")
    proc = run(["model", "register", *args], repo, check=False,
               env={"MLFLOW_TRACKING_URI": mlflow_server})  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert says in proc.stderr
    assert not (repo / "x").exists()
    assert _versions(mlflow_server, sha, FLEET) == []
    assert not _registered(mlflow_server, "no-such-model")


def test_a_fleet_promotion_and_its_rollback_move_that_models_own_alias(
    mlflow_server: str, tmp_path: Path
) -> None:
    repo, sha = _fleet_repo(tmp_path, "fleet-promote-alias")
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    run(["model", "register", "--model", FLEET, "--image", FLEET_IMAGE], repo, env=env)
    before = _alias(mlflow_server, "staging", "credit-scoring")
    promote = ["model", "promote", "staging", "--model", FLEET, "--image", FLEET_IMAGE]
    out = run(promote, repo, env=env).stdout
    version = _alias(mlflow_server, "staging", FLEET)
    assert version is not None and version["tags"]["model_sha256"] == sha  # type: ignore[index]
    promoted = git(repo, "rev-parse", "HEAD").strip()
    assert version["tags"]["staging_commit"] == promoted  # type: ignore[index]
    assert f"MLflow alias staging -> {FLEET} v{version['version']}" in " ".join(out.split())
    assert _alias(mlflow_server, "staging", "credit-scoring") == before  # not the root's alias
    newer = FLEET_IMAGE.replace("c" * 64, "d" * 64)
    run([*promote[:-1], newer], repo, env=env)
    out = run(["model", "rollback", "staging", "--model", FLEET, "--to", promoted], repo, env=env)
    rolled = git(repo, "rev-parse", "HEAD").strip()
    assert rolled != promoted and "rolled back" in out.stdout
    moved = _alias(mlflow_server, "staging", FLEET)
    assert moved is not None and moved["tags"]["staging_commit"] == rolled  # type: ignore[index]
