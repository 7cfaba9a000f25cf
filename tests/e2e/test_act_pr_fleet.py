"""pr.yaml on a PR that changes one fleet model, under act: only that model is reviewed.

The world: a bare origin whose main pins the churn model's outputs, and a DVC cache entry
holding them (what main's own pr.yaml push run saves for `fleet-review`). The PR changes
fleet/churn/params.yaml and commits the lock its author reproduced. Expected: `changed` says
churn alone, the root `review` job is skipped, one `fleet-review` job runs churn's pipeline,
proves its committed lock (fleet-verify-lock) and reports, uploading `model-report-churn`
with the lock's verdict, and `gate` (the required check) follows churn's gate. pr-comment.yaml
then posts one comment whose summary table has churn's row only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model.config import set_param
from tests.act.harness import Store, pull_request_event, run_workflow
from tests.conftest import clone, run
from tests.e2e.test_act_comment import post_comment

pytestmark = [pytest.mark.e2e, pytest.mark.act]

MODEL = "churn"
NO_TRACKING = {"MODEL_TRACKING": "0"}
PR_TREES = 60


def git(ws: Path, *args: str) -> str:
    return run(["git", *args], ws).stdout.strip()


def fewer_trees(folder: Path) -> None:
    """The PR: churn trains 60 trees instead of main's (and its author re-runs the lock)."""
    old = set_param("train.n_estimators", PR_TREES, folder / "params.yaml")
    assert old != PR_TREES, f"main's churn already trains {PR_TREES} trees: the PR changes nothing"
    run(["dvc", "repro", "--quiet"], folder, env=NO_TRACKING)


def test_a_pr_changing_one_fleet_model_reviews_only_that_model(
    origin: Path, dvc_remote: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "origin.git"
    run(["git", "clone", "-q", "--bare", str(origin), str(bare)], tmp_path)
    ws = clone(bare, tmp_path / "ws", dvc_remote)
    folder = ws / "fleet" / MODEL
    # main: churn's outputs as its dvc.lock pins them (the snapshot's lock may trail the code).
    run(["model", "fleet", "pull", MODEL], ws)
    run(["dvc", "repro", "--quiet"], folder, env=NO_TRACKING)
    git(ws, "add", "fleet")
    git(ws, "commit", "-q", "--allow-empty", "-m", "main: churn's dvc.lock for this code")
    git(ws, "push", "-q", "origin", "main")
    store = Store(tmp_path / "store")
    # What main's push run leaves: its fleet-review job saved the shared DVC cache.
    shutil.copytree(ws / ".dvc" / "cache", store.cache / f"dvc-cache-fleet-{MODEL}-main")

    git(ws, "checkout", "-q", "-b", "churn-trees")
    fewer_trees(folder)
    git(ws, "commit", "-qam", "PR: churn trains 60 trees")
    git(ws, "push", "-q", "origin", "churn-trees")
    event = pull_request_event(ws, number=15, head_ref="churn-trees")
    res = run_workflow(ws, "pr.yaml", "pull_request", event, origin=bare, store=store,
                       timeout=1200)  # fmt: skip

    artifact = store.artifacts / f"model-report-{MODEL}"
    assert sorted(p.name for p in store.artifacts.iterdir()) == [artifact.name], res.tail()
    report = json.loads((artifact / "report.json").read_text())
    assert report["model"] == MODEL and report["baseline"] is True, report["verdict"]
    assert report["base"]["rev"] == git(ws, "rev-parse", "main")
    assert "train.n_estimators" in {r["param"] for r in report["params"]}
    assert res.jobs.get("changed") == "success", res.tail()
    assert '"models": ["churn"]' in res.step_log("changed", "changed"), res.tail()
    assert res.jobs.get("review", "skipped") == "skipped", "the root model did not change"
    verdict = "success" if report["passed"] else "failure"
    assert res.jobs.get("fleet-review") == verdict, res.tail()
    assert res.step("fleet-review", "pipeline") == "success"
    lock_log = res.step_log("fleet-review", "lock")
    assert res.step("fleet-review", "lock") == "success", lock_log
    assert f"fleet/{MODEL}/dvc.lock at" in lock_log and "reproduced byte for byte" in lock_log
    lock = json.loads((artifact / f"lock-{MODEL}.json").read_text())
    assert lock["reproducible"] is True and lock["lock"] == f"fleet/{MODEL}/dvc.lock"
    assert report["reproducibility"]["reproducible"] is True  # once always "Not checked"
    assert res.jobs.get("gate") == verdict, res.tail()
    assert f"fleet-review: {verdict}" in res.log and "review: skipped" in res.log

    # The trusted half: one comment whose table lists churn alone, its report folded in.
    head = git(ws, "rev-parse", "churn-trees")
    comment, calls = post_comment(bare, tmp_path, artifact, head, name=artifact.name)
    assert comment.jobs.get("comment") == "success", comment.tail()
    (call,) = calls
    body = call["body"]
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    assert len(rows) == 1 and rows[0].startswith(f"| `{MODEL}` | "), body[:2000]
    assert body.count("<details>") == 1 and "#### Metrics" in body
    assert "--no-publish" in call["args"] and call["published"] == []
