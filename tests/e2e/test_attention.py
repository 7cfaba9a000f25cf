"""Drift without new labels ends the run in "attention": exit 3, and a GitHub issue says so.

The report step (`model workflows report`, what the WorkflowTemplate runs last) is run as a
process against the recording GitHub stand-in: the first attention run opens one labelled
issue with the drift table, the next comments on it, and a run with nothing to say is silent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.gitops.issues import LABEL
from model.training.retrain import Outcome
from tests.conftest import ROOT
from tests.github_api import serve

pytestmark = pytest.mark.e2e

EXIT_ATTENTION = 3  # documented in docs/training.md; restated here so a change is a decision


def _work(tmp: Path, drifted: bool, retrain: Outcome) -> Path:
    (tmp / "drift").mkdir(parents=True)
    cols = ["Income"] if drifted else []
    (tmp / "drift" / "drift.json").write_text(
        json.dumps({"drifted": drifted, "drifted_columns": cols})
    )
    (tmp / "drift" / "drift.md").write_text("# Drift report\n\n| Income | numeric | 0.91 |\n")
    (tmp / "retrain.json").write_text(retrain.to_json())
    return tmp


def _report(work: Path, api: str, token: str = "t0ken") -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "acme/credit", "GITHUB_API_URL": api,
    }  # fmt: skip
    cmd = [sys.executable, "-m", "model", "workflows", "report", "--work", str(work),
           "--drift", "--run", "credit-scoring-retrain-daily-123"]  # fmt: skip
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)


def test_drift_without_labels_exits_3_and_opens_then_comments_one_issue(tmp_path: Path) -> None:
    unchanged = Outcome("unchanged", "m" * 32, "m" * 32)
    with serve() as gh:
        first = _report(_work(tmp_path / "a", True, unchanged), gh.url)
        second = _report(_work(tmp_path / "b", True, unchanged), gh.url)
    assert (first.returncode, second.returncode) == (EXIT_ATTENTION, EXIT_ATTENTION)
    assert "drift without new labels" in first.stdout
    assert len(gh.issues) == 1
    issue = gh.issues[1]
    assert issue["labels"] == [LABEL]
    assert "| Income | numeric | 0.91 |" in issue["body"]
    assert "credit-scoring-retrain-daily-123" in issue["body"]
    assert len(issue["comments"]) == 1 and "| Income |" in issue["comments"][0]
    assert all(r.headers["Authorization"] == "Bearer t0ken" for r in gh.writes())


def test_no_drift_is_green_and_notifies_nobody(tmp_path: Path) -> None:
    with serve() as gh:
        done = _report(_work(tmp_path, False, Outcome("unchanged", "m" * 32, "m" * 32)), gh.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert gh.requests == []


def test_a_refused_notification_is_said_and_the_run_still_ends_in_attention(
    tmp_path: Path,
) -> None:
    with serve() as gh:
        gh.refuse = (403, "Resource not accessible by integration")
        done = _report(_work(tmp_path, True, Outcome("unchanged", "m" * 32, "m" * 32)), gh.url)
    assert done.returncode == EXIT_ATTENTION
    assert "attention NOT notified" in done.stdout and "403" in done.stdout
