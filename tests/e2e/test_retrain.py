"""`model retrain` against a real bare git origin and a real DVC directory remote."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from model.core.dataset import packaged_bytes, to_csv_bytes
from tests.conftest import clone, run
from tests.github_api import serve

pytestmark = pytest.mark.e2e

BRANCH = re.compile(r"refs/heads/(retrain/drift-\d{8}-\d{6})$")


@pytest.fixture(scope="module")
def own_origin(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare copy of the session origin, so pushed retrain branches stay in this module."""
    dest = tmp_path_factory.mktemp("retrain-origin") / "origin.git"
    run(["git", "clone", "-q", "--bare", str(origin), str(dest)], dest.parent)
    return dest


@pytest.fixture
def ws(own_origin: Path, dvc_remote: Path, tmp_path: Path) -> Path:
    return clone(own_origin, tmp_path / "ws", dvc_remote)


def retrain_branches(origin: Path, cwd: Path) -> list[str]:
    refs = run(["git", "ls-remote", str(origin), "refs/heads/retrain/*"], cwd).stdout
    return [m.group(1) for line in refs.splitlines() if (m := BRANCH.search(line.split()[-1]))]


def test_identical_data_does_nothing(ws: Path, own_origin: Path, tmp_path: Path) -> None:
    same = tmp_path / "same.csv"
    same.write_bytes(packaged_bytes())
    for extra in ([], ["--snapshot", str(same)]):
        proc = run(["model", "retrain", "--trigger", "drift", *extra], ws)
        assert "nothing to retrain" in " ".join(proc.stdout.split())
    assert retrain_branches(own_origin, ws) == []
    assert run(["git", "status", "--porcelain", "--", "dvc.lock", "data.dvc"], ws).stdout == ""
    assert run(["git", "branch", "--show-current"], ws).stdout.strip() == "main"


def test_invalid_snapshot_is_refused_before_any_change(
    ws: Path, own_origin: Path, tmp_path: Path
) -> None:
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(to_csv_bytes(raw.assign(Age=raw["Age"] + 200)))  # ages above the contract's 100
    proc = run(["model", "retrain", "--snapshot", str(bad), "--trigger", "drift"], ws, check=False)
    assert proc.returncode == 2
    said = " ".join(proc.stderr.split())  # rich wraps long lines
    assert "breaks the data contract" in said and "'Age'" in said
    assert retrain_branches(own_origin, ws) == []


def test_new_data_pushes_a_branch_with_updated_lock(
    ws: Path,
    own_origin: Path,
    dvc_remote: Path,
    mlflow_server: str,
    trained_workspace: Path,
    tmp_path: Path,
) -> None:
    """trained_workspace has pushed main's outputs, which `model report` compares with."""
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    snapshot = tmp_path / "snapshot.csv"
    snapshot.write_bytes(to_csv_bytes(raw.iloc[:-300]))  # a new export: 300 fewer rows
    old_lock = (ws / "dvc.lock").read_text()
    cmd = ["model", "retrain", "--snapshot", str(snapshot), "--trigger", "drift"]
    with serve() as api:  # GitHub's REST API, recorded: the PR is opened through it
        env = {
            "MLFLOW_TRACKING_URI": mlflow_server, "GITHUB_API_URL": api.url,
            "GITHUB_REPOSITORY": "org/credit-scoring", "GITHUB_TOKEN": "t0ken",
        }  # fmt: skip
        proc = run(cmd, ws, env=env, check=False)
    assert proc.returncode in (0, 1), proc.stderr  # 1: pushed, but the report's gate said no
    said = " ".join(proc.stdout.split())
    (branch,) = retrain_branches(own_origin, ws)
    (opened,) = api.writes()
    assert (opened.method, opened.body["head"], opened.body["base"]) == ("POST", branch, "main")
    assert opened.body["title"].startswith("Retrain (drift): data ")
    assert "roc_auc" in opened.body["body"]  # the PR body is the model report

    # A fresh clone of the pushed branch: new pins in git, every output in the DVC remote.
    check = clone(own_origin, tmp_path / "check", dvc_remote)
    run(["git", "checkout", "-q", branch], check)
    assert (check / "dvc.lock").read_text() != old_lock
    pinned = yaml.safe_load((check / "data.dvc").read_text())["outs"][0]
    assert pinned["md5"] in said and pinned["md5"] not in old_lock
    trailers = run(["git", "log", "-1", "--format=%(trailers:only,unfold)"], check).stdout
    assert "Retrain-Trigger: drift" in trailers and f"Data-Md5: {pinned['md5']}" in trailers
    changed = run(["git", "diff", "--name-only", "main", branch], check).stdout.split()
    assert {"dvc.lock", "data.dvc", "reports/metrics.json"} <= set(changed)
    assert all(p in {"dvc.lock", "data.dvc"} or p.startswith("reports/") for p in changed)
    run(["dvc", "pull", "-q"], check)
    assert "up to date" in run(["dvc", "status"], check).stdout.lower()
    rows = (check / "data" / "credit_data.csv").read_text().count("\n") - 1
    assert rows == len(raw) - 300
