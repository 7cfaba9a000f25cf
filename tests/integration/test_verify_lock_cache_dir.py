"""verify-lock hands its worktree the caller's DVC cache ROOT, wherever `cache.dir` puts it.

DVC 3 keeps objects under `<cache root>/files/md5`; handing that inner folder on as the
worktree's cache.dir made every lookup miss (tests/e2e/test_verify_lock.py runs the whole
check). Here: real DVC repositories with the cache set relative, absolute, or not at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.review.verify_lock import _cache_dir


def dvc_repo(root: Path, config: str = "", local: str = "") -> Path:
    """A DVC repository at `root` (no git) with extra project and local config text."""
    from dvc.repo import Repo

    root.mkdir(parents=True)
    Repo.init(str(root), no_scm=True).close()
    if config:
        with (root / ".dvc" / "config").open("a") as fh:
            fh.write(config)
    if local:
        (root / ".dvc" / "config.local").write_text(local)
    return root


def test_the_default_cache_is_dot_dvc_cache(tmp_path: Path) -> None:
    root = dvc_repo(tmp_path / "repo")
    assert Path(_cache_dir(root)) == (root / ".dvc" / "cache").resolve()


@pytest.mark.parametrize("where", ["config", "local"])
def test_a_relative_cache_dir_resolves_from_the_dvc_folder(tmp_path: Path, where: str) -> None:
    # `dvc cache dir --local ../../shared` writes a path relative to .dvc/, as here.
    text = "[cache]\n    dir = ../../shared-cache\n"
    root = dvc_repo(tmp_path / "repo", **{where: text})
    found = Path(_cache_dir(root))
    assert found == (tmp_path / "shared-cache").resolve()
    assert found.parts[-2:] != ("files", "md5")


def test_an_absolute_local_cache_dir_wins_over_the_project_one(tmp_path: Path) -> None:
    elsewhere = tmp_path / "ci-restored-cache"
    root = dvc_repo(
        tmp_path / "repo",
        config="[cache]\n    dir = ../../team-cache\n",
        local=f"[cache]\n    dir = {elsewhere}\n",
    )
    assert Path(_cache_dir(root)) == elsewhere.resolve()
