"""The committed workflows close the loop (issue 13): data in the bucket, a trigger, a kept report.

Read from the committed YAML, as a cluster would get it: the drift check reads the servers'
samples from object storage (no claim that nothing creates), keeps its report as an output
artifact, the report step can notify, and a CronWorkflow that lists the bucket submits the
new-data template with the snapshot it found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from model.training import spec, trigger

pytestmark = pytest.mark.unit

OUT = Path(__file__).resolve().parents[2] / "k8s" / "workflows"


def doc(name: str) -> dict[str, Any]:
    return yaml.safe_load((OUT / name).read_text())


def template(wt: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in wt["spec"]["templates"] if t["name"] == name)


def test_no_volume_claim_but_the_runs_own_and_drift_reads_the_bucket() -> None:
    for name in (spec.RETRAIN, spec.NEW_DATA, trigger.SCAN):
        wt = doc(f"{name}-workflowtemplate.yaml")
        for t in wt["spec"]["templates"]:
            claims = [v for v in t.get("volumes", []) if "persistentVolumeClaim" in v]
            assert not claims, f"{name}/{t['name']} mounts a claim nothing creates: {claims}"
    retrain = doc(f"{spec.RETRAIN}-workflowtemplate.yaml")
    params = {p["name"]: p for p in retrain["spec"]["arguments"]["parameters"]}
    assert params["current"]["value"].startswith("s3://")
    args = template(retrain, "drift-check")["container"]["args"]
    assert args[args.index("--current") + 1] == "{{workflow.parameters.current}}"


def test_the_drift_report_outlives_the_work_volume_and_failed_pods_stay() -> None:
    retrain = doc(f"{spec.RETRAIN}-workflowtemplate.yaml")
    (artifact,) = template(retrain, "drift-check")["outputs"]["artifacts"]
    assert artifact["path"] == f"{spec.WORK}/drift" and artifact["name"] == "drift-report"
    assert retrain["spec"]["podGC"]["strategy"] == "OnPodSuccess"  # failed pods keep logs


def test_the_report_step_names_the_run_and_can_open_the_issue() -> None:
    retrain = doc(f"{spec.RETRAIN}-workflowtemplate.yaml")
    report = template(retrain, "report")["container"]
    assert report["args"][report["args"].index("--run") + 1] == "{{workflow.name}}"
    env = {e["name"]: e for e in report["env"]}
    assert env["GITHUB_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == spec.GIT_SECRET
    assert spec.REPO_URL.endswith(f"/{env['GITHUB_REPOSITORY']['value']}.git")


def test_the_scan_cron_submits_new_data_with_the_snapshot_it_found() -> None:
    cron = doc(f"{trigger.SCAN_CRON}-cronworkflow.yaml")["spec"]
    assert cron["workflowSpec"]["workflowTemplateRef"]["name"] == trigger.SCAN
    assert cron["concurrencyPolicy"] == "Forbid"
    scan = doc(f"{trigger.SCAN}-workflowtemplate.yaml")
    steps = [g[0] for g in template(scan, "main")["steps"]]
    assert [s["name"] for s in steps] == ["scan", "submit", "mark"]
    found = "{{steps.scan.outputs.parameters.snapshot}}"
    assert all(found in s["when"] for s in steps[1:])
    submit = template(scan, "submit")["resource"]
    assert submit["action"] == "create"
    made = json.loads(submit["manifest"])
    assert made["kind"] == "Workflow"
    assert made["spec"]["workflowTemplateRef"] == {"name": spec.NEW_DATA}
    assert made["spec"]["arguments"]["parameters"] == [
        {"name": "snapshot", "value": "{{inputs.parameters.snapshot}}"}
    ]
    out = template(scan, "scan")["outputs"]["parameters"][0]
    assert out["valueFrom"]["path"] == trigger.SNAPSHOT_FILE


def test_the_scan_account_may_only_create_runs_from_the_new_data_template() -> None:
    role = doc(f"{trigger.SERVICE_ACCOUNT}-role.yaml")
    rules = {(tuple(r["resources"]), tuple(r.get("resourceNames", []))): r for r in role["rules"]}
    assert rules[(("workflowtemplates",), (spec.NEW_DATA,))]["verbs"] == ["get"]
    assert rules[(("workflows",), ())]["verbs"] == ["create"]
    assert all("secrets" not in r["resources"] for r in role["rules"])
    scan = doc(f"{trigger.SCAN}-workflowtemplate.yaml")
    assert scan["spec"]["serviceAccountName"] == trigger.SERVICE_ACCOUNT
    patch = json.loads(scan["spec"]["podSpecPatch"])  # a resource step's main is Argo's own
    assert {c["name"] for c in patch["containers"]} == {"wait", "main"}
