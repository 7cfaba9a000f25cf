"""`model fleet status`'s one-process check says what `dvc status` says, outputs and cache too."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from model.fleet.status import fleet_stale
from tests.conftest import run


def _project(tmp_path: Path) -> tuple[Path, Path]:
    """(root, fleet/m): a git + DVC root project and its folder holding data.csv."""
    root = tmp_path / "r"
    folder = root / "fleet" / "m"
    folder.mkdir(parents=True)
    run(["git", "init", "-q"], root)
    run(["dvc", "init", "-q"], root)
    (folder / "data.csv").write_text("a\n1\n")
    return root, folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A root project with shared code and one fleet subrepo, reproduced once."""
    root, sub = _project(tmp_path)
    run(["dvc", "init", "-q", "--subdir"], sub)
    (root / "model").mkdir()
    (root / "model" / "code.py").write_text("X = 1\n")
    (sub / "params.yaml").write_text("train:\n  seed: 1\n")
    (sub / "dvc.yaml").write_text(
        "stages:\n  train:\n"
        "    cmd: mkdir -p plots && cp data.csv out.csv && cp data.csv plots/p.csv\n"
        "    deps: [data.csv, ../../model]\n    params: [train.seed]\n"
        "    outs: [out.csv, {plots: {cache: false}}]\n"
    )
    run(["dvc", "repro", "-q"], sub)
    return sub


def dvc_says_stale(sub: Path) -> bool:
    return "up to date" not in run(["dvc", "status"], sub).stdout


def _cache_object(sub: Path) -> Path:
    return next(p for p in (sub / ".dvc" / "cache" / "files" / "md5").rglob("*") if p.is_file())


EDITS: dict[str, Callable[[Path], None]] = {
    "output edited": lambda s: (s / "out.csv").write_text("b\n"),
    "output deleted": lambda s: (s / "out.csv").unlink(),
    "uncached output dir edited": lambda s: (s / "plots" / "p.csv").write_text("x\n"),
    "cache copy missing": lambda s: shutil.rmtree(s / ".dvc" / "cache"),
    "cache copy of one object missing": lambda s: _cache_object(s).unlink(),
    "data edited, same size": lambda s: (s / "data.csv").write_text("a\n2\n"),
    "shared code edited": lambda s: (s.parents[1] / "model" / "code.py").write_text("X = 2\n"),
    "param edited": lambda s: (s / "params.yaml").write_text("train:\n  seed: 2\n"),
}


# The edits whose file can be put back: the folder is fresh again, as DVC says too.
UNDOABLE: dict[str, Callable[[Path], Path]] = {
    "data edited, same size": lambda s: s / "data.csv",
    "shared code edited": lambda s: s.parents[1] / "model" / "code.py",
    "param edited": lambda s: s / "params.yaml",
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_the_check_agrees_with_dvc_status(folder: Path, edit: str) -> None:
    state = folder.parents[1] / ".dvc" / "tmp" / "fleet-status.json"
    assert fleet_stale([folder], state) == {"m": []} and not dvc_says_stale(folder)
    assert state.is_file()  # the next run re-uses hashes whose stat held
    EDITS[edit](folder)
    assert dvc_says_stale(folder), edit  # the control: DVC itself sees the change
    assert fleet_stale([folder], state) == {"m": ["train"]}, edit
    assert fleet_stale([folder]) == {"m": ["train"]}, edit  # and without the state file


@pytest.mark.parametrize("edit", list(UNDOABLE))
def test_an_edit_put_back_is_fresh_again(folder: Path, edit: str) -> None:
    path = UNDOABLE[edit](folder)
    before = path.read_text()
    EDITS[edit](folder)
    assert fleet_stale([folder]) == {"m": ["train"]} and dvc_says_stale(folder), edit
    path.write_text(before)
    assert fleet_stale([folder]) == {"m": []} and not dvc_says_stale(folder), edit


def test_a_remembered_hash_is_not_reused_once_the_file_changes(folder: Path) -> None:
    state = folder.parents[1] / ".dvc" / "tmp" / "fleet-status.json"
    data = folder / "data.csv"
    assert fleet_stale([folder], state) == {"m": []}
    st = data.stat()
    data.write_text("a\n3\n")  # same size, a newer mtime: the stamp no longer matches
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert fleet_stale([folder], state) == {"m": ["train"]}


def test_a_folder_of_the_root_project_uses_the_root_cache(tmp_path: Path) -> None:
    """No .dvc/ of its own: its cached outputs are in the root project's cache (as DVC says)."""
    root, folder = _project(tmp_path)
    (folder / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: cp data.csv out.csv\n"
        "    deps: [data.csv]\n    outs: [out.csv]\n"
    )
    run(["dvc", "repro", "-q", "fleet/m/dvc.yaml"], root)
    assert fleet_stale([folder]) == {"m": []} and not dvc_says_stale(root)
    shutil.rmtree(root / ".dvc" / "cache")
    assert fleet_stale([folder]) == {"m": ["train"]} and dvc_says_stale(root)
