"""The push step of a fleet model's retrain pushes that folder's own DVC project."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from model.training.retrain import Outcome
from model.training.steps import push
from tests.conftest import run

pytestmark = pytest.mark.e2e

FOLDER = "fleet/churn"


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_the_push_step_pushes_the_retrained_folders_dvc_outputs(tmp_path: Path) -> None:
    origin, work, remote = tmp_path / "origin.git", tmp_path / "work", tmp_path / "dvc-remote"
    repo = work / "repo"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    where = repo / FOLDER
    (where / "data").mkdir(parents=True)
    (where / "data" / "x.csv").write_text("a\n1\n")
    run(["dvc", "init", "-q", "--subdir"], where)
    run(["dvc", "remote", "add", "-d", "local", str(remote)], where)
    run(["dvc", "add", "-q", "data"], where)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "retrain")
    git(repo, "checkout", "-q", "-b", "retrain/churn-new-data-x")
    out = Outcome("proposed", "a" * 32, "b" * 32, FOLDER, branch="retrain/churn-new-data-x")
    (work / "retrain.json").write_text(out.to_json())
    push(work, repo)
    assert [p for p in remote.rglob("*") if p.is_file()], "the folder's data reached its remote"
    assert git(tmp_path, "--git-dir", str(origin), "branch", "--list", "retrain/*").strip()
