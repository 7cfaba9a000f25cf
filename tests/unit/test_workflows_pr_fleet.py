"""pr.yaml fans out over the changed models; its `gate` job is the conjunction of their gates."""

from __future__ import annotations

import pytest

from model.fleet.changed import classify
from model.review.gate import Check, verdict
from tests.workflow_files import ROOT, load

pytestmark = pytest.mark.unit
PR = load(ROOT / ".github" / "workflows" / "pr.yaml")
COMMENT = load(ROOT / ".github" / "workflows" / "pr-comment.yaml")


def test_review_jobs_need_changed_and_run_only_for_their_models() -> None:
    jobs = PR["jobs"]
    assert jobs["review"]["needs"] == "changed"
    assert jobs["review"]["if"] == (
        "github.event_name == 'push' || needs.changed.outputs.root == 'true'"
    )
    fleet = jobs["fleet-review"]
    assert fleet["needs"] == "changed" and "needs.changed.outputs.fleet != '[]'" in fleet["if"]
    assert fleet["strategy"]["matrix"]["model"] == "${{ fromJSON(needs.changed.outputs.fleet) }}"
    assert 1 <= fleet["strategy"]["max-parallel"] <= 4
    assert fleet["strategy"]["fail-fast"] is False
    upload = [s for s in fleet["steps"] if "upload-artifact" in s.get("uses", "")]
    assert [s["with"]["name"] for s in upload] == ["model-report-${{ matrix.model }}"]


def test_gate_is_the_required_check_over_every_job() -> None:
    gate = PR["jobs"]["gate"]
    assert set(gate["needs"]) == set(PR["jobs"]) - {"gate"}
    assert gate["if"] == "always()"
    (run,) = [s for s in gate["steps"] if "run" in s]
    assert run["run"] == "make pr-gate"
    assert set(run["env"]) == {"CHANGED_RESULT", "REVIEW_RESULT", "FLEET_REVIEW_RESULT"}


def test_the_comment_downloads_every_models_report() -> None:
    (download,) = [
        s for s in COMMENT["jobs"]["comment"]["steps"] if "download-artifact" in s.get("uses", "")
    ]
    assert download["with"]["pattern"] == "model-report*" and "name" not in download["with"]


def test_changed_outputs_split_the_root_model_from_the_fleet_matrix() -> None:
    models = ["credit-scoring", "churn", "loan-default"]
    one = classify(["fleet/churn/params.yaml"], models).outputs()
    assert one == {"fleet": '["churn"]', "root": "false"}
    shared = classify(["model/review/compare.py"], models).outputs()
    assert shared == {"fleet": '["churn","loan-default"]', "root": "true"}
    assert classify(["README.md"], models).outputs() == {"fleet": "[]", "root": "false"}


def test_a_new_model_passes_on_absolute_checks_and_fails_on_them() -> None:
    ok = [Check("latency.predict_batch_ms", "≤ 200 ms", True, "12 ms")]
    passed, line = verdict(ok, baseline=False, any_significant=False, new_model=True)
    assert passed and line.startswith("🆕 New model: no base to compare with")
    slow = [Check("latency.predict_batch_ms", "≤ 200 ms", False, "900 ms")]
    passed, line = verdict(slow, baseline=False, any_significant=False, new_model=True)
    assert not passed and line.startswith("❌ Gate failed (latency.predict_batch_ms)")


def _runs(job: str) -> dict[str, dict]:
    """`make …` steps of a pr.yaml job, by their run line, in order."""
    return {s["run"]: s for s in PR["jobs"][job]["steps"] if "run" in s}


def test_each_review_job_proves_its_lock_before_the_report_that_carries_the_verdict() -> None:
    pairs = {"review": ("make verify-lock", "make report"),
             "fleet-review": ("make fleet-verify-lock", "make fleet-report")}  # fmt: skip
    for job, (verify, report) in pairs.items():
        runs = _runs(job)
        order = list(runs)
        assert order.index(verify) < order.index(report), f"{job}: {order}"
        lock, rep = runs[verify], runs[report]
        assert lock["id"] == "lock" and lock["if"] == "github.event_name == 'pull_request'"
        # !cancelled(): the report runs when verify-lock failed, and fails the gate with it.
        assert "!cancelled()" in rep["if"] and "steps.lock" not in rep["if"], f"{job}: {rep}"
        assert "continue-on-error" not in lock, f"{job}: an unreproducible lock fails the job"
    assert list(_runs("fleet-review")) == [
        "make env", "make fleet-data", "make fleet-pipeline", "make fleet-verify-lock",
        "make fleet-report",
    ]  # fmt: skip
