"""`model verify-lock` with the DVC cache somewhere else and no remote to fall back on.

CI restores the cache (actions/cache) and has no DVC credentials, so the temp worktree must
see the caller's cache ROOT. Handing it DVC 3's `.../files/md5` (repo.cache.local.path)
made every PR's verify fall back to `dvc pull`, fail, and report "not checked".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import clone, run
from tests.pr_edits import NO_TRACKING, forge_train_output

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def elsewhere(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone whose cache lives outside it; data in that cache; the remote is empty.

    HEAD's dvc.lock is the one `dvc repro` wrote for HEAD's code, as a PR author commits it
    (the snapshot of a shared work tree may carry code edits whose lock is not yet updated).
    """
    base = tmp_path_factory.mktemp("verify-lock")
    ws = clone(origin, base / "ws", base / "seed-remote")
    run(["dvc", "cache", "dir", "--local", str(base / "cache-elsewhere")], ws)
    run(["model", "data", "pull"], ws, env=NO_TRACKING)
    run(["dvc", "repro", "--quiet"], ws, env=NO_TRACKING)
    run(["git", "commit", "-q", "--allow-empty", "-m", "dvc.lock for this code", "dvc.lock"], ws)
    (base / "empty-remote").mkdir()
    run(["dvc", "remote", "modify", "--local", "local", "url", str(base / "empty-remote")], ws)
    return ws


def verify(ws: Path, out: Path) -> tuple[int, dict, str]:
    proc = run(["model", "verify-lock", "--out", str(out)], ws, check=False, env=NO_TRACKING)
    assert out.is_file(), f"expected {out}; verify-lock said:\n{proc.stdout}\n{proc.stderr}"
    return proc.returncode, json.loads(out.read_text()), proc.stdout + proc.stderr


def test_committed_lock_is_reproducible_from_a_cache_elsewhere(
    elsewhere: Path, tmp_path: Path
) -> None:
    code, result, output = verify(elsewhere, tmp_path / "lock.json")
    assert code == 0, output
    assert result["reproducible"] is True and result["differing_stages"] == []
    assert "reproduced byte for byte" in output


def test_a_tampered_lock_is_not_reproducible_and_names_the_stage(
    elsewhere: Path, tmp_path: Path
) -> None:
    run(["git", "checkout", "-q", "-b", "tampered"], elsewhere)
    forge_train_output(elsewhere / "dvc.lock")
    run(["git", "commit", "-qam", "forge train's output in dvc.lock"], elsewhere)
    code, result, output = verify(elsewhere, tmp_path / "lock.json")
    assert code == 1, output
    assert result["reproducible"] is False
    assert result["differing_stages"] == ["train"]
    assert "not reproducible" in output and "train" in output
