"""`make demo`'s story, end to end, checked against the real git history it leaves behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run
from tests.e2e.test_trainer_image import trainer_image  # noqa: F401 (fixture)
from tests.tools import find

pytestmark = pytest.mark.e2e


def overlay_digest(repo: Path, env: str) -> str:
    text = run(["git", "show", f"main:k8s/overlays/{env}/kustomization.yaml"], repo).stdout
    return str(yaml.safe_load(text)["images"][0]["digest"])


def engine_present() -> bool:
    docker = find("docker")
    return bool(docker) and subprocess.run([docker, "info"], capture_output=True).returncode == 0  # type: ignore[list-item]


def _trainer(request: pytest.FixtureRequest) -> str | None:
    """The trainer image built from this tree (test_trainer_image's fixture), so the demo's
    step 9 runs inside it as the cluster would; None where no image can be built here."""
    if not engine_present():
        print("no Docker engine: the demo previews pods as local processes (CI has an engine)")
        return None
    try:
        return str(request.getfixturevalue("trainer_image"))
    except pytest.skip.Exception as why:  # no root for debootstrap: step 9 runs locally
        print(f"no trainer image: {why}")
        return None


@pytest.fixture(scope="module")
def demo(
    origin: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Any]:
    trainer = _trainer(request)
    root = tmp_path_factory.mktemp("demo") / "scratch"
    image = ["--trainer-image", trainer] if trainer else []
    proc = run(
        ["model", "demo", "--workdir", str(root), "--source", str(origin), *image],
        origin.parent,
        check=False,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    facts = json.loads((root / "demo-summary.json").read_text())
    facts["root"], facts["stdout"], facts["trainer"] = root, proc.stdout, trainer
    return facts


def test_all_ten_steps_ran(demo: dict[str, Any]) -> None:
    for number in range(1, 11):
        assert f"✔ {number}. " in demo["stdout"]
    assert "local preview of the staging Deployment (no cluster)" in demo["stdout"]


def test_pr1_failed_its_gate_and_was_not_merged(demo: dict[str, Any]) -> None:
    pr = demo["prs"]["pr-1-fewer-trees"]
    assert pr["passed"] is False and "Gate failed" in pr["verdict"]
    assert "significant" in Path(pr["report"]).read_text()
    merged = run(
        ["git", "merge-base", "--is-ancestor", "pr-1-fewer-trees", "main"],
        demo["root"] / "origin.git",
        check=False,
    )
    assert merged.returncode == 1


def test_pr2_landed(demo: dict[str, Any]) -> None:
    assert demo["prs"]["pr-2-docs"]["passed"] is True
    run(["git", "merge-base", "--is-ancestor", "pr-2-docs", "main"], demo["root"] / "origin.git")


def test_environments_run_the_expected_digests(demo: dict[str, Any]) -> None:
    first, second = demo["digests"]
    assert first != second
    origin = demo["root"] / "origin.git"
    assert overlay_digest(origin, "staging") == second
    assert overlay_digest(origin, "prod") == first  # after the rollback
    staging_previews = [p for p in demo["previews"] if p["env"] == "staging"]
    assert [p["digest"] for p in staging_previews] == [first, second]


def test_rollback_restored_the_previous_digest(demo: dict[str, Any]) -> None:
    prod = [p for p in demo["previews"] if p["env"] == "prod"]
    assert [p["digest"] for p in prod] == [demo["digests"][1], demo["digests"][0]]
    if engine_present():
        assert demo["rollback_running"] == demo["digests"][0]  # the container's own image ID


def test_audit_has_exactly_the_promotions_in_order(demo: dict[str, Any]) -> None:
    first, second = demo["digests"]
    staging = [e["image_digest"] for e in demo["audit_staging"]]
    prod = [(e["image_digest"], bool(e["rollback_of"])) for e in demo["audit_prod"]]
    assert staging == [first, second]
    assert prod == [(first, False), (second, False), (first, True)]


def test_audit_verify_passed(demo: dict[str, Any]) -> None:
    assert demo["verify_exit"] == 0


def test_demo_leaves_no_process_running(demo: dict[str, Any]) -> None:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert str(demo["root"]) not in ps
    if engine_present():
        docker = find("docker") or "docker"
        names = subprocess.run(
            [docker, "ps", "--format", "{{.Names}}"], capture_output=True, text=True
        ).stdout
        assert "credit-scoring-preview" not in names


def test_the_retrain_loop_proposed_a_branch_then_ended_in_attention(demo: dict[str, Any]) -> None:
    """Step 9: next month's export -> a retrain branch on origin with its report; drift
    without labels -> attention (exit 3), run in the trainer image when there is one."""
    facts = demo["retrain_loop"]
    new, attention = facts["new_data"], facts["attention"]
    assert new["status"] == "proposed" and new["pushed"] is True
    heads = run(["git", "ls-remote", "--heads", str(demo["root"] / "origin.git")], demo["root"])
    assert f"refs/heads/{new['branch']}" in heads.stdout
    assert new["branch"].startswith("retrain/new-data-") and Path(new["report"]).read_text().strip()
    assert new["snapshot"].endswith("/snapshots/next-month.csv")
    assert attention["exit"] == 3 and {"Income", "Age"} <= set(attention["drifted"])
    assert "Drift report" in Path(attention["report"]).read_text()
    assert "drift without new labels" in attention["run_report"]
    where = f"in the trainer image {demo['trainer']}" if demo["trainer"] else "local processes"
    assert where in facts["runs"], facts["runs"]


def _release_file(origin: Path, env: str, model: str) -> dict[str, Any]:
    text = run(["git", "show", f"main:deploy/{env}/{model}.yaml"], origin).stdout
    return dict(yaml.safe_load(text))


def test_the_fleet_pr_reviewed_one_model_and_it_is_better(demo: dict[str, Any]) -> None:
    from model.demo.fleet_story import MODEL, PR3_BRANCH

    pr = demo["fleet"]["prs"][PR3_BRANCH]
    assert pr["changed"] == [MODEL] and pr["passed"] == {MODEL: True}
    report = json.loads(
        (demo["root"] / "ci" / PR3_BRANCH / f"model-report-{MODEL}" / "report.json").read_text()
    )
    metrics = {m["metric"]: m for m in report["metrics"]}
    # genuinely better: roc_auc up and log loss down, beyond their bootstrap intervals' zero
    assert metrics["roc_auc"]["delta"] > 0 and metrics["roc_auc"]["ci_low"] > 0
    assert metrics["log_loss"]["delta"] < 0
    comment = Path(pr["report"]).read_text()
    others = [d.name for d in (demo["root"] / "ws" / "fleet").iterdir() if d.name != MODEL]
    assert MODEL in comment and not [name for name in others if name in comment]


def test_the_new_fleet_version_runs_in_staging_and_prod(demo: dict[str, Any]) -> None:
    from model.demo.fleet_story import MODEL

    origin = demo["root"] / "origin.git"
    before, after = demo["fleet"]["releases"]["before"], demo["fleet"]["releases"]["after"]
    assert before["model_sha256"] != after["model_sha256"]
    for env in ("staging", "prod"):
        pinned = _release_file(origin, env, MODEL)
        assert pinned["model_sha256"] == after["model_sha256"]
        assert f"{pinned['image']}@{pinned['digest']}" == after["image"]
    assert demo["fleet"]["prod_ledger"][-2:] == [before["model_sha256"], after["model_sha256"]]


def test_a_pr_adding_a_model_gets_a_new_model_report(demo: dict[str, Any]) -> None:
    from model.demo.fleet_story import NEW_MODEL, NEW_TARGET, PR4_BRANCH

    pr = demo["fleet"]["prs"][PR4_BRANCH]
    assert pr["changed"] == [NEW_MODEL]
    report = json.loads(
        (demo["root"] / "ci" / PR4_BRANCH / f"model-report-{NEW_MODEL}" / "report.json").read_text()
    )
    assert (report["model"], report["new_model"], report["baseline"]) == (NEW_MODEL, True, False)
    assert report["contract"]["target"] == NEW_TARGET
    assert "new model" in Path(pr["report"]).read_text()
