"""Under `pytest -n 2 --dist loadfile`, the files of ENGINE_GROUP_FILES run on one worker.

The demo and the tests sharing its Docker names (tests/conftest.py) must never run on two
workers at once. xdist_group marks did not do it (pytest 9 ignores how xdist 3.8 tags them):
both workers ran the demo. This runs pytest with two workers on throwaway files wired to the
project's hooks, with two of them standing in as the group, and reads where each test ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT

CONFTEST = """
import tests.conftest as project

project.ENGINE_GROUP_FILES = ("test_c.py", "test_a.py")
from tests.conftest import pytest_collection_modifyitems, pytest_xdist_make_scheduler  # noqa
"""

CASE = """
import os
from pathlib import Path

def _record(name):
    out = Path(os.environ["WHERE_RAN"]) / name
    out.write_text(os.environ.get("PYTEST_XDIST_WORKER", "main"))

def test_one():
    _record(__name__ + "-one")

def test_two():
    _record(__name__ + "-two")
"""


def where_ran(tmp_path: Path, dist: str) -> dict[str, set[str]]:
    """Run four two-test files under `-n 2 --dist DIST`; {file stem: workers it ran on}."""
    tmp_path.mkdir()
    for name in ("test_a", "test_b", "test_c", "test_d"):
        (tmp_path / f"{name}.py").write_text(CASE)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    out = tmp_path / "ran"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WHERE_RAN": str(out)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", os.devnull,
         "--rootdir", str(tmp_path), "-n", "2", "--dist", dist, "--no-loadscope-reorder"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    workers: dict[str, set[str]] = defaultdict(set)
    for record in out.iterdir():
        workers[record.name.split("-")[0]].add(record.read_text())
    assert sum(1 for _ in out.iterdir()) == 8, sorted(p.name for p in out.iterdir())
    return workers


def test_the_group_runs_on_one_worker_and_each_other_file_on_one(tmp_path: Path) -> None:
    workers = where_ran(tmp_path / "run", "loadfile")
    assert len(workers["test_a"] | workers["test_c"]) == 1, dict(workers)
    assert len(workers["test_b"]) == 1 and len(workers["test_d"]) == 1, dict(workers)
