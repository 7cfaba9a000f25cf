"""Issue 11 §3: the work-tree promotion lock waits, times out clearly, never goes stale."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from model.gitops.lock import LockError, held, lock_path
from tests.unit.gitops_repo import make_repo

pytestmark = [pytest.mark.e2e, pytest.mark.security]
HOLD = (
    "import sys, time; from pathlib import Path; from model.gitops.lock import held\n"
    "with held(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)\n"
)


def _holder(repo: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(repo)], stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_promoter_times_out_naming_the_lock(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    holder = _holder(repo)
    try:
        with pytest.raises(LockError, match="another `model promote`") as caught, held(repo, 0.3):
            pytest.fail("the lock was taken twice")
        assert str(lock_path(repo)) in str(caught.value)
        assert lock_path(repo).parent == repo / ".git"  # never in the tracked tree
    finally:
        holder.kill()
        holder.communicate()


def test_a_killed_holder_frees_the_lock_at_once(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    holder = _holder(repo)
    holder.kill()
    holder.communicate()
    start = time.monotonic()
    with held(repo, 5.0):
        assert time.monotonic() - start < 1.0
