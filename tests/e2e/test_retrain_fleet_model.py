"""`model retrain --model NAME` on a real git clone (bare origin) and real DVC: one fleet model.

The world: a bare origin whose main pins telco-area-code-408's outputs (the smallest fleet
member, 1259 rows), reproduced once in the clone so `model report` has main's side in the cache.
A new snapshot for that model (50 fewer rows) retrains it alone: the pushed branch
retrain/telco-area-code-408-new-data-<stamp> touches only fleet/telco-area-code-408/, and the
PR is opened through the (recorded) GitHub API. A hostile --model stops with exit 2 first.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import clone, run
from tests.github_api import serve
from tests.pr_edits import NO_TRACKING

pytestmark = pytest.mark.e2e

MODEL = "telco-area-code-408"
FOLDER = f"fleet/{MODEL}"
RAW = f"{FOLDER}/data/mlc_churn.csv"
BRANCH = re.compile(rf"refs/heads/(retrain/{MODEL}-new-data-\d{{8}}-\d{{6}})$")


def git(ws: Path, *args: str) -> str:
    return run(["git", *args], ws).stdout.strip()


def retrain_branches(bare: Path, cwd: Path) -> list[str]:
    refs = run(["git", "ls-remote", str(bare), "refs/heads/retrain/*"], cwd).stdout
    return [m.group(1) for line in refs.splitlines() if (m := BRANCH.search(line.split()[-1]))]


@pytest.fixture(scope="module")
def world(origin: Path, dvc_remote: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """(a bare origin of its own; a clone whose main holds the model's reproduced lock)."""
    base = tmp_path_factory.mktemp("retrain-fleet")
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], base)
    ws = clone(bare, base / "ws", dvc_remote)
    run(["model", "fleet", "pull", MODEL], ws)
    run(["dvc", "repro", "--quiet"], ws / FOLDER, env=NO_TRACKING)
    git(ws, "add", FOLDER)
    git(ws, "commit", "-q", "--allow-empty", "-m", "main: the model's dvc.lock for this code")
    git(ws, "push", "-q", "origin", "main")
    return ws


def test_a_hostile_model_name_is_refused_before_anything_runs(world: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "s.csv"
    snapshot.write_bytes((world / RAW).read_bytes())
    marker = tmp_path / "pwned"
    for name in (f"x;touch {marker}", f"../../{FOLDER}", "Churn", f"$(touch {marker})"):
        cmd = ["model", "retrain", "--model", name, "--snapshot", str(snapshot), "--no-push"]
        proc = run(cmd, world, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "model name" in " ".join(proc.stderr.split())
    assert not marker.exists()
    assert git(world, "status", "--porcelain") == ""
    assert git(world, "branch", "--show-current") == "main"


def test_the_same_data_again_retrains_nothing(world: Path, tmp_path: Path) -> None:
    """Runs before the new-data test, which leaves the clone on its retrain branch."""
    bare = Path(git(world, "remote", "get-url", "origin"))
    same = tmp_path / "same.csv"
    same.write_bytes((world / RAW).read_bytes())
    cmd = ["model", "retrain", "--model", MODEL, "--snapshot", str(same), "--trigger", "new-data"]
    proc = run(cmd, world, env=NO_TRACKING)
    assert "nothing to retrain" in " ".join(proc.stdout.split())
    assert retrain_branches(bare, world) == []
    assert git(world, "status", "--porcelain") == ""


def test_new_data_for_one_fleet_model_retrains_it_alone(world: Path, tmp_path: Path) -> None:
    bare = Path(git(world, "remote", "get-url", "origin"))
    lines = (world / RAW).read_text().splitlines(keepends=True)
    snapshot = tmp_path / "snapshot.csv"
    snapshot.write_text("".join(lines[:-50]))  # a new export: 50 fewer rows
    old_pin = yaml.safe_load((world / FOLDER / "data.dvc").read_text())["outs"][0]["md5"]
    cmd = ["model", "retrain", "--model", MODEL, "--snapshot", str(snapshot),
           "--trigger", "new-data"]  # fmt: skip
    with serve() as api:
        env = NO_TRACKING | {
            "GITHUB_API_URL": api.url, "GITHUB_REPOSITORY": "org/credit-scoring",
            "GITHUB_TOKEN": "t0ken",
        }  # fmt: skip
        proc = run(cmd, world, env=env, check=False)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 1: pushed, the gate said no
    (branch,) = retrain_branches(bare, world)
    (opened,) = api.writes()
    assert (opened.body["head"], opened.body["base"]) == (branch, "main")
    assert opened.body["title"].startswith(f"Retrain ({MODEL}, new-data): data {old_pin[:8]} -> ")

    check = clone(bare, tmp_path / "check", tmp_path / "unused-root-remote")
    git(check, "checkout", "-q", branch)
    changed = git(check, "diff", "--name-only", "main", branch).split()
    assert {f"{FOLDER}/data.dvc", f"{FOLDER}/dvc.lock"} <= set(changed)
    assert all(p.startswith(f"{FOLDER}/") for p in changed), changed
    new_pin = yaml.safe_load((check / FOLDER / "data.dvc").read_text())["outs"][0]["md5"]
    assert new_pin != old_pin
    trailers = git(check, "log", "-1", "--format=%(trailers:only,unfold)")
    assert f"Model: {MODEL}" in trailers and f"Data-Md5: {new_pin}" in trailers
    # the folder's own DVC remote (../../../../credit-scoring-dvc-remote from its .dvc/, beside
    # the clone) got the new data: a fresh clone of the branch pulls it back from there
    remote = world.parent / "credit-scoring-dvc-remote"
    run(["dvc", "remote", "modify", "--local", "local", "url", str(remote)], check / FOLDER)
    run(["dvc", "pull", "data.dvc"], check / FOLDER)
    assert (check / RAW).read_text().count("\n") == len(lines) - 50
    assert git(world, "status", "--porcelain", "--", "dvc.lock", "data.dvc") == ""
