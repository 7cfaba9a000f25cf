"""Issue 11 §4: a plain `git revert` of a promotion is a first-class rollback in the ledger.

Real git: promotions through the CLI, reverts with `git revert`, audit and verify read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.cli.console import EXIT_FAILED
from tests.conftest import run
from tests.unit.gitops_repo import git, make_repo

pytestmark = [pytest.mark.e2e, pytest.mark.security]
IMAGE = "ghcr.io/org/credit-scoring@sha256:"
A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
ENV = {"MODEL_REGISTRY": "0"}


def _model(repo: Path, *args: str, check: bool = True) -> tuple[int, str]:
    proc = run(["model", *args], repo, check=check, env=ENV)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def _promote(repo: Path, digest: str) -> str:
    _model(repo, "promote", "staging", "--image", IMAGE + digest.removeprefix("sha256:"))
    return _head(repo)


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def _ledger(repo: Path) -> list[dict[str, str]]:
    return json.loads(run(["model", "audit", "--format", "json"], repo, env=ENV).stdout)


def _verify_green(repo: Path) -> None:
    code, output = _model(repo, "audit", "verify", "--env", "staging", "--no-docker", check=False)
    assert code == 0 and "BROKEN" not in output, output


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repo with staging promoted to A, then to B."""
    work = make_repo(tmp_path / "repo")
    _promote(work, A)
    _promote(work, B)
    return work


def test_a_plain_git_revert_is_a_rollback_in_the_ledger(repo: Path) -> None:
    promoted_b = _head(repo)
    git(repo, "revert", "--no-edit", "HEAD")
    last = _ledger(repo)[-1]
    assert last["commit"] == _head(repo)
    assert (last["environment"], last["image_digest"], last["rollback_of"]) == (
        "staging", A, promoted_b
    )  # fmt: skip
    assert last["promoted_by"] == "Test Author <author@example.test>"  # who reverted
    code, output = _model(repo, "audit")
    assert code == 0 and f"staging: {IMAGE}{A[7:]}" in output
    _verify_green(repo)


def test_reverting_the_revert_puts_the_later_promotion_back(repo: Path) -> None:
    git(repo, "revert", "--no-edit", "--signoff", "HEAD")  # a Signed-off-by trailer, no others
    reverted = _head(repo)
    git(repo, "revert", "--no-edit", "HEAD")
    last = _ledger(repo)[-1]
    assert (last["image_digest"], last["rollback_of"]) == (B, reverted)
    _verify_green(repo)


def test_reverting_the_first_promotion_is_reported_not_guessed(tmp_path: Path) -> None:
    work = make_repo(tmp_path / "repo")
    first = _promote(work, A)
    git(work, "revert", "--no-edit", "HEAD")
    code, output = _model(work, "audit", "verify", "--env", "staging", "--no-docker", check=False)
    assert code == EXIT_FAILED
    assert f"reverts the first promotion of staging ({first[:12]})" in output


def _hand_edit_overlay_to(repo: Path, digest: str) -> None:
    """Someone edits the digest by hand (no trailers): overlay and ledger now disagree."""
    path = repo / "k8s/overlays/staging/kustomization.yaml"
    current = json.loads(run(["model", "audit", "--format", "json"], repo, env=ENV).stdout)[-1]
    path.write_text(path.read_text().replace(current["image_digest"], digest))
    git(repo, "commit", "-q", "-am", "hand edit")


def test_promote_writes_a_corrective_commit_when_only_the_overlay_already_matches(
    repo: Path,
) -> None:
    _hand_edit_overlay_to(repo, A)
    before = _head(repo)
    code, output = _model(repo, "promote", "staging", "--image", IMAGE + "a" * 64)
    assert code == 0 and "no-op" not in output, output
    assert _head(repo) != before and _ledger(repo)[-1]["image_digest"] == A
    _verify_green(repo)
    code, output = _model(repo, "promote", "staging", "--image", IMAGE + "a" * 64)
    assert "no-op" in output and _head(repo) != before  # now both agree: a real no-op


def test_rollback_writes_a_corrective_commit_when_only_the_overlay_already_matches(
    repo: Path,
) -> None:
    promoted_b = _head(repo)
    _hand_edit_overlay_to(repo, A)
    code, output = _model(repo, "rollback", "staging")
    assert code == 0 and "no-op" not in output, output
    last = _ledger(repo)[-1]
    assert (last["image_digest"], last["rollback_of"]) == (A, promoted_b)
    _verify_green(repo)


def test_verify_checks_the_selfcheck_jobs_model_pin(repo: Path) -> None:
    release = repo / "k8s/overlays/staging/credit-scoring-release.yaml"
    text = release.read_text()
    job = text.index("kind: Job")
    sha = json.loads(run(["model", "audit", "--format", "json"], repo, env=ENV).stdout)[-1][
        "model_sha256"
    ]
    release.write_text(text[:job] + text[job:].replace(sha, "f" * 64))
    git(repo, "commit", "-q", "-am", "hand edit of the self-check pin")
    code, output = _model(repo, "audit", "verify", "--env", "staging", "--no-docker", check=False)
    assert code == EXIT_FAILED and "BROKEN staging self-check Job model" in output, output
    # Promoting the same digest again repairs the Job's pin instead of calling it a no-op.
    code, output = _model(repo, "promote", "staging", "--image", IMAGE + "b" * 64)
    assert code == 0 and "no-op" not in output, output
    _verify_green(repo)
