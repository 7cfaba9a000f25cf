"""`make demo`'s retrain-loop step on its own: bucket -> PR branch, then drift -> attention.

The step runs against a real bare origin whose main's outputs are in the DVC directory remote
(as after the demo's release steps), moto's S3 on 127.0.0.1 and MLflow on loopback. The
"next month" export here is main's data minus its last 300 rows: any export that differs
from main's pin must come back as a retrain branch with its report.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from model.core.dataset import packaged_bytes, to_csv_bytes
from model.demo.pods import Preview
from model.demo.retrain_loop import HOLD_BACK, retrain_loop, split_next_month
from model.demo.runner import Runner
from model.demo.story import Scratch, Story
from tests.conftest import run
from tests.e2e.test_trainer_image import docker_bin, trainer_image  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


def test_split_next_month_holds_back_the_newest_rows_deterministically() -> None:
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    now, later = split_next_month(raw)
    assert len(later) == round(len(raw) * HOLD_BACK) and len(now) + len(later) == len(raw)
    assert later.index[0] == len(now) and split_next_month(raw)[1].equals(later)


def _scratch(origin: Path, dvc_remote: Path, mlflow_server: str, root: Path) -> Story:
    """A demo scratch after the release steps: bare origin, DVC remote (copied, so a container
    mounting the scratch sees it), MLflow, and next month's export beside them."""
    root.mkdir()
    run(["git", "clone", "-q", "--bare", str(origin), str(root / "origin.git")], root)
    shutil.copytree(dvc_remote, root / "dvc-remote")
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    (root / "next-month.csv").write_bytes(to_csv_bytes(raw.iloc[:-300]))
    runner = Runner(Console(record=True), {"MLFLOW_TRACKING_URI": mlflow_server})
    return Story(runner, Scratch(root), Preview(None, root / "ws" / "models"))


def _check(story: Story) -> dict:
    """The branch is on origin with its report; the drift run ended in attention."""
    root = story.scratch.root
    facts = story.facts["retrain_loop"]
    new = facts["new_data"]
    assert new["status"] == "proposed" and new["pushed"] is True
    heads = run(["git", "ls-remote", "--heads", str(root / "origin.git")], root).stdout
    assert f"refs/heads/{new['branch']}" in heads and new["branch"].startswith("retrain/new-data-")
    assert Path(new["report"]).read_text().strip()
    assert new["snapshot"].endswith("/snapshots/next-month.csv")
    attention = facts["attention"]
    assert attention["exit"] == 3 and {"Income", "Age"} <= set(attention["drifted"])
    assert "Drift report" in Path(attention["report"]).read_text()
    assert "drift without new labels" in attention["run_report"]
    return facts


def test_the_loop_proposes_a_branch_then_ends_in_attention(
    origin: Path, dvc_remote: Path, mlflow_server: str, trained_workspace: Path, tmp_path: Path
) -> None:
    """trained_workspace pushed main's outputs to dvc_remote, which the report compares with."""
    story = _scratch(origin, dvc_remote, mlflow_server, tmp_path / "scratch")
    retrain_loop(story, None)  # no engine: local processes, as the step then says
    assert "local processes" in _check(story)["runs"]


@pytest.mark.docker
def test_the_same_loop_runs_inside_the_trainer_image(
    origin: Path,
    dvc_remote: Path,
    mlflow_server: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    image = request.getfixturevalue("trainer_image")  # built by test_trainer_image's fixture
    story = _scratch(origin, dvc_remote, mlflow_server, tmp_path / "scratch")
    retrain_loop(story, docker_bin(), image)
    assert f"in the trainer image {image}" in _check(story)["runs"]
