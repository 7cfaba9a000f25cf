"""`make demo`'s retrain-loop step on its own: bucket -> PR branch, then drift -> attention.

The step runs against a real bare origin whose main's outputs are in the DVC directory remote
(as after the demo's release steps), moto's S3 on 127.0.0.1 and MLflow on loopback. The
"next month" export here is main's data minus its last 300 rows: any export that differs
from main's pin must come back as a retrain branch with its report.
"""

from __future__ import annotations

import io
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

pytestmark = pytest.mark.e2e


def test_split_next_month_holds_back_the_newest_rows_deterministically() -> None:
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    now, later = split_next_month(raw)
    assert len(later) == round(len(raw) * HOLD_BACK) and len(now) + len(later) == len(raw)
    assert later.index[0] == len(now) and split_next_month(raw)[1].equals(later)


def test_the_loop_proposes_a_branch_then_ends_in_attention(
    origin: Path, dvc_remote: Path, mlflow_server: str, trained_workspace: Path, tmp_path: Path
) -> None:
    """trained_workspace pushed main's outputs to dvc_remote, which the report compares with."""
    root = tmp_path / "scratch"
    root.mkdir()
    run(["git", "clone", "-q", "--bare", str(origin), str(root / "origin.git")], root)
    (root / "dvc-remote").symlink_to(dvc_remote)
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    (root / "next-month.csv").write_bytes(to_csv_bytes(raw.iloc[:-300]))
    runner = Runner(Console(record=True), {"MLFLOW_TRACKING_URI": mlflow_server})
    story = Story(runner, Scratch(root), Preview(None, root / "ws" / "models"))

    retrain_loop(story, None)  # no engine: local processes, as the step then says

    facts = story.facts["retrain_loop"]
    assert "local processes" in facts["runs"]
    new = facts["new_data"]
    assert new["status"] == "proposed" and new["pushed"] is True
    heads = run(["git", "ls-remote", "--heads", str(root / "origin.git")], root).stdout
    assert f"refs/heads/{new['branch']}" in heads and new["branch"].startswith("retrain/new-data-")
    assert Path(new["report"]).read_text().strip()
    attention = facts["attention"]
    assert attention["exit"] == 3 and {"Income", "Age"} <= set(attention["drifted"])
    assert "Drift report" in Path(attention["report"]).read_text()
    assert "drift without new labels" in attention["run_report"]
    marked = story.facts["retrain_loop"]["new_data"]["snapshot"]
    assert marked.endswith("/snapshots/next-month.csv")
