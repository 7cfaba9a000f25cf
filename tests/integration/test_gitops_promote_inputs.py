"""Bad promotion input changes nothing and explains itself; same digest twice is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from model import config
from model.cli.app import _register_commands, app
from model.cli.console import EXIT_USAGE
from tests.unit.gitops_repo import git, make_repo, model_sha256

GOOD = "ghcr.io/org/credit-scoring@sha256:" + "b" * 64
_register_commands()


@pytest.fixture(autouse=True)
def _no_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # Promoted-By reads GitHub's runner env; on a runner (or under act) it would name the
    # actor instead of the git user these tests expect, so every test starts without it.
    for name in (config.GITHUB_ACTIONS, config.GITHUB_ACTOR):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ada")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ada@example.test")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ada")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ada@example.test")


def _promote(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["promote", *args, "--repo", str(repo)])
    return result.exit_code, result.output


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["production", "--image", GOOD], "unknown environment 'production'"),
        (["staging", "--image", "ghcr.io/org/credit-scoring:latest"], "REF@sha256"),
        (["staging", "--image", "ghcr.io/org/credit-scoring@sha256:1234"], "REF@sha256"),
        (["prod", "--image", GOOD], "never promoted to staging"),
    ],
)
def test_bad_input_exits_2_without_commit(tmp_path: Path, args: list[str], needle: str) -> None:
    repo = make_repo(tmp_path / "repo")
    before = _head(repo)
    code, output = _promote(repo, *args)
    assert code == EXIT_USAGE, output
    assert needle in " ".join(output.split())
    assert _head(repo) == before and git(repo, "status", "--porcelain") == ""


def test_dirty_work_tree_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "reports/metrics.json").write_text("{}\n")
    before = _head(repo)
    code, output = _promote(repo, "staging", "--image", GOOD)
    assert code == EXIT_USAGE and "uncommitted changes" in " ".join(output.split())
    assert _head(repo) == before


def test_model_missing_from_dvc_lock_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", with_model_entry=False)
    before = _head(repo)
    code, output = _promote(repo, "staging", "--image", GOOD)
    assert code == EXIT_USAGE and "no entry for models/model.onnx" in " ".join(output.split())
    assert _head(repo) == before


def test_model_bytes_not_matching_dvc_lock_are_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "models/model.onnx").write_bytes(b"tampered")
    code, output = _promote(repo, "staging", "--image", GOOD)
    assert code == EXIT_USAGE and "dvc pull" in " ".join(output.split())


def test_promotion_commits_trailers_and_same_digest_twice_is_noop(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    code, output = _promote(repo, "staging", "--image", GOOD, "--source-pr", "7")
    assert code == 0, output
    trailers = git(repo, "log", "-1", "--format=%(trailers:unfold)")
    assert f"Model-Sha256: {model_sha256()}" in trailers
    assert "Image-Digest: sha256:" + "b" * 64 in trailers and "Source-PR: 7" in trailers
    assert "Promoted-By: Ada <ada@example.test>" in trailers
    assert git(repo, "show", "--stat", "--format=", "HEAD").count("k8s/overlays/staging/") == 2
    head = _head(repo)
    code, output = _promote(repo, "staging", "--image", GOOD)
    assert code == 0 and "no-op" in output and _head(repo) == head
    code, output = _promote(repo, "prod", "--image", GOOD)  # no --push: a local commit
    assert code == 0 and _head(repo) != head
    assert "Environment: prod" in git(repo, "log", "-1", "--format=%(trailers)")


def test_in_github_actions_the_actor_promotes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.GITHUB_ACTIONS, "true")
    monkeypatch.setenv(config.GITHUB_ACTOR, "octocat")
    repo = make_repo(tmp_path / "repo")
    code, output = _promote(repo, "staging", "--image", GOOD)
    assert code == 0, output
    assert "Promoted-By: octocat (GitHub Actions)" in git(repo, "log", "-1", "--format=%(trailers)")


def test_a_lost_push_race_rebases_and_reapplies_never_forces(tmp_path: Path) -> None:
    from model.gitops import overlay
    from model.gitops.land import land
    from model.gitops.promote import Request, commit_release, promote, staging_release
    from tests.unit.gitops_repo import META_BYTES, MODEL_BYTES, with_origin

    first = make_repo(tmp_path / "first")
    with_origin(first, tmp_path / "origin.git")
    second = tmp_path / "second"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(second))
    (second / "models").mkdir()
    (second / "models/model.onnx").write_bytes(MODEL_BYTES)
    (second / "models/model.json").write_bytes(META_BYTES)
    other = GOOD.replace("b" * 64, "c" * 64)
    req = Request(env="staging", image_ref=other, push=True)
    image, digest = overlay.parse_image_ref(other)
    source = _head(second)
    calls: list[str] = []

    def apply() -> str | None:
        if not calls:  # the rival lands between our fetch and our push
            promote(first, Request(env="staging", image_ref=GOOD, push=True))
        calls.append("apply")
        return commit_release(second, staging_release(second, req, image, digest, source), "late")

    landed = land(second, apply, push=True, remote="origin", branch="main")
    assert landed.attempts == 2 and calls == ["apply", "apply"]  # conflict: re-applied on top
    log = git(tmp_path / "origin.git", "log", "--format=%H %s", "main").splitlines()
    assert log[0].split()[0] == landed.commit and log[1].endswith(f"in {GOOD.split('@')[1][:19]}")
    assert "Image-Digest: sha256:" + "c" * 64 in git(second, "log", "-1", "--format=%(trailers)")
