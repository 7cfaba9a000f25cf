"""MODEL_DVC_REMOTE (the cluster's s3) reaches a fleet model's folder, its own DVC project.

The folder's config names only the root's default remote, so `dvc remote default --local s3`
there failed ("default remote must be present in remote list"): retrain copies the root's
definition in first. A directory remote with a relative URL stands in for s3 here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.training.retrain import Project, RetrainError, use_remote
from tests.conftest import run

pytestmark = pytest.mark.e2e

FOLDER = "fleet/churn"


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / FOLDER / "data").mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], root)
    run(["dvc", "init", "-q"], root)
    run(["dvc", "remote", "add", "-d", "local", str(tmp_path / "dir-remote")], root)
    # tmp_path/team-store; dvc stores it relative to repo/.dvc/ (../../team-store)
    run(["dvc", "remote", "add", "team", "../team-store"], root)
    run(["dvc", "init", "-q", "--subdir"], root / FOLDER)
    run(["dvc", "remote", "add", "-d", "local", str(tmp_path / "dir-remote")], root / FOLDER)
    return root


def test_the_named_remote_becomes_the_folders_default_and_receives_its_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path)
    monkeypatch.setenv("MODEL_DVC_REMOTE", "team")
    use_remote(root, Project("churn", FOLDER, "x.csv"))
    where = root / FOLDER
    assert run(["dvc", "remote", "default"], where).stdout.strip() == "team"
    (where / "data" / "x.csv").write_text("a\n1\n")
    run(["dvc", "add", "-q", "data"], where)
    run(["dvc", "push", "-q"], where)
    assert [p for p in (tmp_path / "team-store").rglob("*") if p.is_file()]
    assert not (tmp_path / "dir-remote").exists(), "the folder's own default was replaced"


def test_a_remote_the_root_does_not_define_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path)
    monkeypatch.setenv("MODEL_DVC_REMOTE", "nowhere")
    with pytest.raises(RetrainError, match="MODEL_DVC_REMOTE=nowhere is not a remote"):
        use_remote(root, Project("churn", FOLDER, "x.csv"))
