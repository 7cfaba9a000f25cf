"""The fleet's retraining fan-out, as committed: one scan, withParam over its list, bounded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from model.training import fleet_retrain as fr
from model.training import spec
from tests.workflow_manifests import committed

pytestmark = pytest.mark.unit


def _doc(suffix: str, name: str) -> dict[str, Any]:
    return committed()[f"{name}-{suffix}.yaml"]


def _templates() -> dict[str, dict[str, Any]]:
    doc = _doc("workflowtemplate", fr.FAN_OUT)
    return {t["name"]: t for t in doc["spec"]["templates"]}


def test_the_cron_runs_the_fan_out_one_at_a_time() -> None:
    cron = _doc("cronworkflow", fr.CRON)["spec"]
    assert cron["workflowSpec"] == {"workflowTemplateRef": {"name": fr.FAN_OUT}}
    assert cron["concurrencyPolicy"] == "Forbid"


def test_it_fans_out_over_the_scan_output_with_bounded_parallelism() -> None:
    t = _templates()
    main = t["main"]
    assert main["parallelism"] == fr.PARALLELISM and 1 <= fr.PARALLELISM <= 10
    (scan,), (fan,) = main["steps"]
    assert fan["withParam"] == "{{steps.scan.outputs.parameters.models}}"
    # the list it iterates over is the file the scan step writes
    (out,) = t[scan["template"]]["outputs"]["parameters"]
    args = t[scan["template"]]["container"]["args"]
    assert out["name"] == "models" and args[:2] == ["fleet", "new-data"]
    assert args[args.index("--out") + 1] == out["valueFrom"]["path"]
    assert {p["value"] for p in fan["arguments"]["parameters"]} == {
        "{{item.model}}",
        "{{item.snapshot}}",
    }


def test_each_model_runs_the_existing_new_data_template_and_waits_for_it() -> None:
    t = _templates()
    (submit,), (mark,) = t["one"]["steps"]
    assert submit["continueOn"] == {"failed": True} and mark["template"] == "mark"
    resource = t[submit["template"]]["resource"]
    manifest = json.loads(resource["manifest"])
    assert manifest["kind"] == "Workflow" and resource["action"] == "create"
    assert manifest["spec"]["workflowTemplateRef"] == {"name": spec.NEW_DATA}
    assert f"{spec.NEW_DATA}-workflowtemplate.yaml" in committed()
    # without waiting for the run, `parallelism` would bound API calls, not retrains
    assert resource["successCondition"] == "status.phase == Succeeded"
    assert "Failed" in resource["failureCondition"] and "Error" in resource["failureCondition"]
    passed = {p["name"]: p["value"] for p in manifest["spec"]["arguments"]["parameters"]}
    assert passed["snapshot"] == "{{inputs.parameters.snapshot}}"
    assert passed["model"] == "{{inputs.parameters.model}}"


def test_its_account_may_only_read_the_new_data_template_and_run_workflows() -> None:
    doc = _doc("workflowtemplate", fr.FAN_OUT)
    assert doc["spec"]["serviceAccountName"] == fr.SERVICE_ACCOUNT
    rules = _doc("role", fr.SERVICE_ACCOUNT)["rules"]
    by_resource = {r["resources"][0]: r for r in rules}
    assert by_resource["workflowtemplates"]["resourceNames"] == [spec.NEW_DATA]
    assert by_resource["workflowtemplates"]["verbs"] == ["get"]
    assert sorted(by_resource["workflows"]["verbs"]) == ["create", "get", "watch"]
    assert set(by_resource) == {"workflowtaskresults", "workflowtemplates", "workflows"}
    binding = _doc("rolebinding", fr.SERVICE_ACCOUNT)
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": fr.SERVICE_ACCOUNT}]


def test_fleet_snapshots_live_apart_from_the_default_models() -> None:
    # the single-model scan lists snapshots/ recursively: fleet files there would be its own
    assert not fr.SNAPSHOTS_URI.startswith(spec.SNAPSHOTS_URI)
