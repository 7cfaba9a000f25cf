"""`model register` from the release's own facts, against a real MLflow server on loopback.

CI never trains, so register must work with no MLflow run (and link the run when one exists);
a configured but unreachable server is a failure, and only "not configured" is a (loud) skip.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from model.gitops import facts
from tests.conftest import run
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


def _versions(uri: str, sha: str) -> list[dict[str, object]]:
    found = mlflow_api(uri, "GET", "model-versions/search", {"filter": "name='credit-scoring'"})
    out = []
    for v in found.get("model_versions", []):  # type: ignore[union-attr]
        tags = {t["key"]: t["value"] for t in v.get("tags", [])}
        if tags.get("model_sha256") == sha:
            out.append({**v, "tags": tags})
    return out


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_registers_from_release_facts_without_a_run(mlflow_server: str, tmp_path: Path) -> None:
    repo, sha = _repo(tmp_path, "no-run")
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    out = run(["model", "register", "--image", IMAGE], repo, env=env).stdout
    (version,) = _versions(mlflow_server, sha)
    tags = version["tags"]
    assert isinstance(tags, dict)
    commit = git(repo, "rev-parse", "HEAD").strip()
    assert tags["git_commit"] == commit and tags["image"] == IMAGE
    assert tags["model_version"] == sha[:12] and tags["data_md5"] == "1" * 32 + ".dir"
    assert tags["mlflow_run"] == "none" and version["run_id"] == ""
    assert version["source"] == f"docker:///{IMAGE}"
    assert f"registered credit-scoring v{version['version']}" in out
    again = run(["model", "register", "--image", IMAGE], repo, env=env).stdout
    assert f"already registered: credit-scoring v{version['version']}" in again
    assert len(_versions(mlflow_server, sha)) == 1


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
