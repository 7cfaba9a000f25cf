"""A fleet model's pipeline is the root pipeline, rendered for its folder, and kept current."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from model.fleet.layout import DEFAULT_MODEL, names
from model.fleet.pipeline import UP, render, shared_deps, subrepo_files, sync

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
RAW = "data/lending_club.csv"


def test_rendered_stages_mirror_the_root_pipeline() -> None:
    root = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    fleet = yaml.safe_load(render(ROOT, RAW))["stages"]
    assert list(fleet) == list(root)
    for name, body in root.items():
        got = fleet[name]
        # the same shared code as the root stage (so tests/unit/test_stage_deps.py holds here too)
        shared = [d.removeprefix(UP) for d in got["deps"] if d.startswith(UP)]
        expanded = [d.removeprefix(UP) for r in body["deps"] if r.startswith("model/")
                    for d in shared_deps(ROOT, r)]  # fmt: skip
        assert shared == expanded and all(d.endswith(".py") for d in shared)
        local = [d for d in got["deps"] if not d.startswith(UP)]
        expected = [RAW if d == "data/credit_data.csv" else d for d in body["deps"]]
        assert local == [d for d in expected if not d.startswith("model/")] + ["contract.yaml"]
        assert (got.get("outs"), got.get("params")) == (body.get("outs"), body.get("params"))
        assert "--contract contract.yaml" in got["cmd"] and "credit_data" not in got["cmd"]
        assert ("--pinned data.dvc" in got["cmd"]) == ("--pinned data.dvc" in body["cmd"])
        # a fleet model's run must not land in credit-scoring's MLflow experiment
        assert got["cmd"].startswith("MODEL_TRACKING=0 ") == (name == "evaluate")
        assert ("--params params.yaml" in got["cmd"]) == (name != "validate" and "params" in body)


@pytest.mark.parametrize("name", [n for n in names(ROOT) if n != DEFAULT_MODEL])
def test_committed_fleet_folders_are_current(name: str) -> None:
    assert sync(ROOT, name, write=False) == []


def _config(tmp_path: Path, url: str) -> Path:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text(
        f"[core]\n    remote = r\n['remote \"r\"']\n    url = {url}\n"
    )
    (tmp_path / ".dvcignore").write_text("*.pyc\n")
    return tmp_path


@pytest.mark.parametrize("url", ["../../remote", "/srv/remote", "s3://bucket/store"])
def test_a_subrepo_shares_the_root_remote_and_cache(tmp_path: Path, url: str) -> None:
    root = _config(tmp_path, url)
    sub = root / "fleet" / "m"
    config = subrepo_files(root, sub)[".dvc/config"]
    lines = dict(line.strip().split(" = ", 1) for line in config.splitlines() if " = " in line)
    shared = os.path.normpath(root / ".dvc" / url) if "://" not in url else url
    found = lines["url"] if "://" in url else os.path.normpath(sub / ".dvc" / lines["url"])
    assert (lines["remote"], found) == ("r", shared)
    assert os.path.normpath(sub / ".dvc" / lines["dir"]) == str(root / ".dvc" / "cache")


def _committed_lock_deps(name: str) -> list[tuple[str, str]]:
    """The lock's deps that a clean clone holds: not a stage's output, not DVC-tracked data.

    Those two exist only after `dvc pull` or `dvc repro`; DVC itself checks them.
    """
    folder = ROOT / "fleet" / name
    lock = yaml.safe_load((folder / "dvc.lock").read_text())
    pulled = {o["path"] for o in yaml.safe_load((folder / "data.dvc").read_text())["outs"]}
    pulled |= {out for body in lock["stages"].values() for out in _paths(body.get("outs", []))}
    deps = {(d["path"], d["md5"]) for body in lock["stages"].values() for d in body.get("deps", [])}
    return sorted((p, md5) for p, md5 in deps if not any(_under(p, top) for top in pulled))


def _paths(outs: list[dict]) -> list[str]:
    return [o["path"] for o in outs]


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


@pytest.mark.parametrize("name", [n for n in names(ROOT) if n != DEFAULT_MODEL])
def test_each_fleet_lock_matches_the_code_and_its_params(name: str) -> None:
    """Shared code touches every model: its dvc.lock must follow, as the root's must."""
    from tests.unit.test_lock_is_current import dvc_md5

    folder = ROOT / "fleet" / name
    deps = _committed_lock_deps(name)
    # the shared code and the model's contract, at least, are committed and pinned
    assert any(p.startswith(UP) for p, _ in deps) and ("contract.yaml" in dict(deps))
    stale = [p for p, md5 in deps if dvc_md5(folder / p) != md5]
    assert not stale, f"fleet/{name}/dvc.lock is stale for {stale}: run `dvc repro` in the folder"
    params = yaml.safe_load((folder / "params.yaml").read_text())
    lock = yaml.safe_load((folder / "dvc.lock").read_text())
    for body in lock["stages"].values():
        for section in body.get("params", {}).values():
            for key, value in section.items():
                head, _, tail = key.partition(".")
                assert (params[head][tail] if tail else params[head]) == value, key


def test_a_shared_code_directory_becomes_its_python_files_without_bytecode(tmp_path: Path) -> None:
    """A subrepo hashes ../../model/core with no .dvcignore: a .pyc there changed every lock."""
    code = tmp_path / "model" / "core"
    (code / "__pycache__").mkdir(parents=True)
    (code / "nested").mkdir()
    for rel in ("a.py", "nested/b.py", "__pycache__/a.cpython-311.pyc", "notes.txt"):
        (code / rel).write_text("x")
    assert shared_deps(tmp_path, "model/core") == [
        UP + "model/core/a.py",
        UP + "model/core/nested/b.py",
    ]
    assert shared_deps(tmp_path, "model/config.py") == [UP + "model/config.py"]
