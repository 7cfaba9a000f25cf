"""`model promote|rollback|audit --model NAME`: one release file per model and env, trailers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from model import config
from model.cli.app import _register_commands, app
from model.cli.console import EXIT_FAILED, EXIT_USAGE
from model.gitops import audit
from tests.integration.fleet_repo import DATA_MD5, image, make_fleet_repo, model_sha
from tests.unit.gitops_repo import git, make_repo

_register_commands()
ROOT_IMAGE = "ghcr.io/org/credit-scoring@sha256:" + "b" * 64


@pytest.fixture(autouse=True)
def _no_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (config.GITHUB_ACTIONS, config.GITHUB_ACTOR):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Ada")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "ada@example.test")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_fleet_repo(tmp_path / "repo", ["churn", "loan-default"])


def _model(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--repo", str(repo)])
    return result.exit_code, " ".join(result.output.split())


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def _file(repo: Path, env: str, name: str) -> dict:
    return yaml.safe_load((repo / "deploy" / env / f"{name}.yaml").read_text())


def test_a_fleet_promotion_writes_only_its_release_file_with_trailers(repo: Path) -> None:
    before = git(repo, "ls-files", "-s", "k8s")
    code, out = _model(repo, "promote", "staging", "--model", "churn", "--image", image("churn"))
    assert code == 0, out
    assert "MLflow alias skipped: no tracking server configured" in out  # MODEL_REGISTRY=0
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["deploy/staging/churn.yaml"]
    assert git(repo, "ls-files", "-s", "k8s") == before
    got = _file(repo, "staging", "churn")
    assert (got["model"], got["image"] + "@" + got["digest"]) == ("churn", image("churn"))
    assert (
        got["model_sha256"] == model_sha("churn")
        and got["model_version"] == model_sha("churn")[:12]
    )
    trailers = git(repo, "log", "-1", "--format=%(trailers)")
    assert "Model: churn" in trailers and f"Data-Md5: {DATA_MD5}" in trailers
    assert "Metrics: n_test=100,roc_auc=0.71" in trailers
    (entry,) = audit.ledger(repo, model="churn")
    assert entry.release.model == "churn" and audit.ledger(repo) == []  # not credit-scoring's
    code, out = _model(repo, "promote", "staging", "--model", "churn", "--image", image("churn"))
    assert code == 0 and "no-op" in out


def test_prod_takes_only_a_digest_this_model_had_in_staging(repo: Path) -> None:
    assert _model(repo, "promote", "staging", "--model", "churn", "--image", image("churn"))[0] == 0
    # The same digest staged for churn is not loan-default's to promote.
    code, out = _model(
        repo, "promote", "prod", "--model", "loan-default", "--image", image("churn"), "--direct"
    )
    assert code == EXIT_USAGE and "never promoted to staging for loan-default" in out
    code, out = _model(repo, "promote", "prod", "--model", "churn", "--image", image("churn"))
    assert code == 0, out
    staged, prod = _file(repo, "staging", "churn"), _file(repo, "prod", "churn")
    assert {**staged, "env": "prod"} == prod


HOSTILE = {
    "path": ["--model", "../prod", "--image", image("churn")],
    "upper": ["--model", "Churn", "--image", image("churn")],
    "long": ["--model", "a" * 41, "--image", image("churn")],
    "newline": ["--model", "churn\nEnvironment: prod", "--image", image("churn")],
    "not a folder": ["--model", "fraud", "--image", image("fraud")],
    "tag": ["--model", "churn", "--image", "ghcr.io/acme/churn:latest"],
    "short digest": ["--model", "churn", "--image", "ghcr.io/acme/churn@sha256:abc"],
    "no registry path": ["--model", "churn", "--image", "churn@sha256:" + "c" * 64],
    "quote": ["--model", "churn", "--image", 'ghcr.io/a"b/churn@sha256:' + "c" * 64],
    "version": ["--model", "churn", "--image", image("churn"), "--model-version", "-rf"],
    "version yaml": ["--model", "churn", "--image", image("churn"), "--model-version", "1\n: x"],
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_values_are_refused_before_anything_is_written(repo: Path, kind: str) -> None:
    before = _head(repo)
    code, out = _model(repo, "promote", "staging", *HOSTILE[kind])
    assert code == EXIT_USAGE, out
    assert _head(repo) == before and git(repo, "status", "--porcelain") == ""
    assert not (repo / "deploy").exists()


def test_a_hostile_pin_file_is_refused(repo: Path) -> None:
    (repo / "fleet/churn/models/model.sha256").write_text("x" * 64 + "\nEnvironment: prod\n")
    code, out = _model(repo, "promote", "staging", "--model", "churn", "--image", image("churn"))
    assert code == EXIT_USAGE and "the trained model's digest" in out
    assert not (repo / "deploy").exists()


def test_rollback_restores_the_previous_release_file_of_that_model_only(repo: Path) -> None:
    for i in (1, 2):
        args = ("--model", "churn", "--image", image("churn", i))
        assert _model(repo, "promote", "staging", *args)[0] == 0
    loan = ("--model", "loan-default", "--image", image("loan-default"))
    assert _model(repo, "promote", "staging", *loan)[0] == 0  # the last staging event: not churn's
    first = git(repo, "show", f"{_head(repo)}~2:deploy/staging/churn.yaml")
    code, out = _model(repo, "rollback", "staging", "--model", "churn")
    assert code == 0, out
    assert (repo / "deploy/staging/churn.yaml").read_text() == first
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "deploy/staging/churn.yaml"
    ]
    trailers = git(repo, "log", "-1", "--format=%(trailers)")
    assert "Model: churn" in trailers and "Rollback-Of: " in trailers
    assert _file(repo, "staging", "loan-default")["digest"] == image("loan-default").split("@")[1]
    code, out = _model(repo, "audit", "verify", "--model", "churn", "--no-docker")
    assert code == 0 and "BROKEN" not in out, out


def test_verify_catches_a_release_file_edited_by_hand(repo: Path) -> None:
    assert _model(repo, "promote", "staging", "--model", "churn", "--image", image("churn"))[0] == 0
    path = repo / "deploy/staging/churn.yaml"
    path.write_text(path.read_text().replace(model_sha("churn"), "e" * 64))
    git(repo, "commit", "-q", "-am", "tweak")
    code, out = _model(repo, "audit", "verify", "--model", "churn", "--no-docker")
    assert code == EXIT_FAILED and "deploy/staging/churn.yaml model = last promotion" in out


def test_audit_filters_by_model_and_old_commits_count_as_credit_scoring(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    # Naming the default model is the same as naming none: its overlay, as before the fleet.
    assert (
        _model(repo, "promote", "staging", "--model", "credit-scoring", "--image", ROOT_IMAGE)[0]
        == 0
    )
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split()[0].startswith("k8s/")
    # A promotion from before the fleet: the same message without its Model trailer.
    old = git(repo, "log", "-1", "--format=%B").replace("Model: credit-scoring\n", "")
    assert "Model:" not in old
    git(repo, "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-m", old)
    from tests.integration.fleet_repo import add_models

    add_models(repo, ["churn"])
    assert _model(repo, "promote", "staging", "--model", "churn", "--image", image("churn"))[0] == 0
    code, out = _model(repo, "audit", "--model", "credit-scoring", "--format", "json")
    assert code == 0
    assert [e["model"] for e in json.loads(out)] == ["credit-scoring", "credit-scoring"]
    code, out = _model(repo, "audit", "--model", "churn", "--format", "json")
    assert [e["model"] for e in json.loads(out)] == ["churn"]
    code, out = _model(repo, "audit", "--format", "json")
    assert [e["model"] for e in json.loads(out)] == ["credit-scoring", "credit-scoring", "churn"]
    code, out = _model(repo, "audit")
    assert code == 0 and "churn staging: ghcr.io/acme/churn@" in out
    assert _model(repo, "audit", "--model", "../x")[0] == EXIT_USAGE


def test_one_models_ledger_is_the_fleet_ledger_filtered_reverts_included(repo: Path) -> None:
    for i in (1, 2):
        args = ("--model", "churn", "--image", image("churn", i))
        assert _model(repo, "promote", "staging", *args)[0] == 0
    loan = ("--model", "loan-default", "--image", image("loan-default"))
    assert _model(repo, "promote", "staging", *loan)[0] == 0
    churn_second = git(repo, "rev-parse", "HEAD~1").strip()
    # A git revert of churn's 2nd promotion, its subject edited so it no longer names the model.
    git(repo, "revert", "--no-commit", "HEAD~1")
    git(repo, "commit", "-q", "-m", f'Revert "the bad one"\n\nThis reverts commit {churn_second}.')
    # A hand-written promotion with the key in lower case: still churn's, still found.
    text = git(repo, "log", "-1", "--format=%B", churn_second).replace("Model:", "model:")
    git(repo, "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-m", text)
    every = audit.ledger(repo, model=None)
    for name in ("churn", "loan-default", "credit-scoring"):
        mine = audit.ledger(repo, model=name)  # the prefiltered git log for fleet models
        assert [e.commit for e in mine] == [e.commit for e in every if e.release.model == name]
    churn = audit.ledger(repo, model="churn")
    assert len(churn) == 4 and churn[2].release.rollback_of == churn_second
    assert churn[2].release.image_ref == image("churn", 1)
