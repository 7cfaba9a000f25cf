"""`model report --model NAME` for a model whose folder the base does not have: a new model.

A scratch clone whose main lacks fleet/churn; the PR adds it (as `model new` would) and runs
its pipeline. The report has no base to compare with: head's metrics, the contract and
head-only segments, and a gate that only absolute checks (latency) can fail.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import clone, run
from tests.pr_edits import NO_TRACKING

pytestmark = pytest.mark.e2e


def git(ws: Path, *args: str) -> str:
    return run(["git", *args], ws).stdout.strip()


def test_a_model_added_by_the_pr_gets_a_new_model_report(
    origin: Path, dvc_remote: Path, tmp_path: Path
) -> None:
    ws = clone(origin, tmp_path / "ws", dvc_remote)
    kept = tmp_path / "churn"
    shutil.copytree(ws / "fleet" / "churn", kept)
    git(ws, "rm", "-rq", "fleet/churn")
    git(ws, "commit", "-qm", "main without churn")
    git(ws, "checkout", "-qb", "add-churn")
    shutil.copytree(kept, ws / "fleet" / "churn")
    git(ws, "add", "fleet/churn")
    git(ws, "commit", "-qm", "PR: add the churn model")
    run(["model", "fleet", "pull", "churn"], ws)
    run(["dvc", "repro", "--quiet"], ws / "fleet" / "churn", env=NO_TRACKING)

    out = tmp_path / "report"
    proc = run(["model", "report", "--model", "churn", "--base", "main", "--out", str(out)],
               ws, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == "churn" and report["new_model"] is True
    assert report["baseline"] is False and report["passed"] is True
    assert report["verdict"].startswith("🆕 New model: no base to compare with")
    assert {c["name"] for c in report["checks"]} == {
        "latency.predict_single_row_ms", "latency.predict_batch_ms",
    }  # fmt: skip
    assert report["head_metrics"]["n_test"] == 1407
    assert report["contract"]["target"] == "churn"
    assert {r["segment"] for r in report["head_segments"]} == {
        "multiple_lines", "internet_service", "online_security",
    }  # fmt: skip
    md = (out / "report.md").read_text()
    assert "A new model: nothing to compare with" in md and "Contract: target `churn`" in md
