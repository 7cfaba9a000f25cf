"""A forced re-run of the pipeline changes nothing git tracks (issue 12 §4).

A no-op CI run must not dirty the tree: every output is byte-reproducible, so `dvc repro -f`
rewrites the committed dvc.lock and reports with the very same bytes. Twice in a row: this is
also the pipeline's determinism check (two forced runs, identical outputs, metrics and lock).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import clone, run

pytestmark = pytest.mark.e2e


def test_forced_repro_twice_leaves_the_tree_clean(
    origin: Path, dvc_remote: Path, trained_workspace: Path, tmp_path: Path
) -> None:
    ws = clone(origin, tmp_path / "ws", dvc_remote)
    quiet = {"MODEL_TRACKING": "0"}
    run(["model", "data", "pull"], ws, env=quiet)
    committed = (ws / "dvc.lock").read_bytes()
    for attempt in (1, 2):
        run(["dvc", "repro", "-f"], ws, env=quiet)
        status = run(["git", "status", "--porcelain"], ws).stdout
        assert status == "", f"`dvc repro -f` #{attempt} changed tracked files:\n{status}"
        assert (ws / "dvc.lock").read_bytes() == committed
    # ...and equal to a run with MLflow tracking on: tracking never changes an output
    assert (trained_workspace / "dvc.lock").read_bytes() == committed
