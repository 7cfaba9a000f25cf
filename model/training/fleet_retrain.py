"""Retraining per model: one CronWorkflow fanning out over the fleet models with new data.

WorkflowTemplate `credit-scoring-fleet-new-data` runs `model fleet new-data` (each model's
oldest unmarked snapshot under s3://credit-scoring-data/fleet/<model>/, as a JSON list), then
for each item, at most PARALLELISM at a time (Argo `withParam` under the template's
`parallelism`): creates a Workflow from the existing `credit-scoring-new-data` template with
that model and snapshot (checkout -> retrain -> push -> report: its own branch and PR), waits
for it to finish, and marks the snapshot. Waiting is what makes the bound real: a created
Workflow runs on its own, so without it `parallelism` would only pace the API calls.
CronWorkflow `credit-scoring-fleet-new-data-hourly` runs it at :47, never two at once.
A failed retrain still gets its snapshot marked (its run reports the failure, as the
single-model trigger does), so one bad snapshot cannot block a model's later ones.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from model.training import spec
from model.training.trigger import bucket_template, mark_step, scan_step

if TYPE_CHECKING:
    from hera.workflows import CronWorkflow, Resource, WorkflowTemplate

FAN_OUT = "credit-scoring-fleet-new-data"
CRON = "credit-scoring-fleet-new-data-hourly"
SERVICE_ACCOUNT = "credit-scoring-fleet-scan"
SNAPSHOTS_URI = "s3://credit-scoring-data/fleet"  # <model>/*.csv; apart from snapshots/
PARALLELISM = 4  # retrains at once: each takes a 1-4 CPU pod for minutes
MODELS_FILE = "/tmp/models.json"  # the scan step's output: [{"model", "snapshot"}]
MODEL_LABEL = "credit-scoring.io/model"


def _submit() -> Resource:
    """Create a new-data Workflow for one model and snapshot; succeed or fail with it."""
    from hera.workflows import Parameter, Resource

    manifest = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": f"{spec.NEW_DATA}-",
            "labels": {**spec.LABELS, MODEL_LABEL: "{{inputs.parameters.model}}"},
        },
        "spec": {
            "workflowTemplateRef": {"name": spec.NEW_DATA},
            "arguments": {
                "parameters": [
                    {"name": "model", "value": "{{inputs.parameters.model}}"},
                    {"name": "snapshot", "value": "{{inputs.parameters.snapshot}}"},
                ]
            },
        },
    }
    return Resource(
        name="submit",
        action="create",
        manifest=json.dumps(manifest, sort_keys=True),  # JSON is YAML: one stable line
        success_condition="status.phase == Succeeded",
        failure_condition="status.phase in (Failed, Error)",
        inputs=[Parameter(name="model"), Parameter(name="snapshot")],
    )


def _one() -> object:
    """One model: its retrain run, then the snapshot's marker (whatever the run's outcome)."""
    from hera.workflows import Parameter, Step, Steps
    from hera.workflows import models as m

    args = {"model": "{{inputs.parameters.model}}", "snapshot": "{{inputs.parameters.snapshot}}"}
    return Steps(
        name="one",
        inputs=[Parameter(name="model"), Parameter(name="snapshot")],
        sub_steps=[
            Step(
                name="submit",
                template="submit",
                arguments=args,
                continue_on=m.ContinueOn(failed=True),
            ),
            Step(name="mark", template="mark", arguments={"snapshot": args["snapshot"]}),
        ],
    )


def _main() -> object:
    from hera.workflows import Step, Steps

    return Steps(
        name="main",
        parallelism=PARALLELISM,
        sub_steps=[
            Step(name="scan", template="scan"),
            Step(
                name="retrain",
                template="one",
                arguments={"model": "{{item.model}}", "snapshot": "{{item.snapshot}}"},
                with_param="{{steps.scan.outputs.parameters.models}}",
            ),
        ],
    )


def fan_out_template() -> WorkflowTemplate:
    """scan -> (submit -> mark) per model with new data, PARALLELISM at a time."""
    scan = scan_step(["fleet", "new-data"], "models", MODELS_FILE)
    snapshots = (SNAPSHOTS_URI, "Where each fleet model's labelled snapshots land: <model>/*.csv.")
    templates = [_main(), _one(), scan, _submit(), mark_step()]
    # each retrain run has an hour (spec.py's activeDeadlineSeconds); a queue of them more
    return bucket_template(FAN_OUT, SERVICE_ACCOUNT, snapshots, templates, deadline=6 * 3600)


def cron() -> CronWorkflow:
    """Runs the fan-out hourly at :47 (the single-model scan runs at :17), never two at once."""
    return spec.cron(CRON, FAN_OUT, "47 * * * *", starting_deadline=600)


def rbac() -> dict[str, dict[str, Any]]:
    """The fan-out's own account: report results, read the new-data template, create and
    follow (get, watch: the submit step waits on the run's phase) Workflows."""
    from model.training import render

    argo = "argoproj.io"
    rules = [
        {"apiGroups": [argo], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]},
        {
            "apiGroups": [argo],
            "resources": ["workflowtemplates"],
            "resourceNames": [spec.NEW_DATA],
            "verbs": ["get"],
        },
        {"apiGroups": [argo], "resources": ["workflows"], "verbs": ["create", "get", "watch"]},
    ]
    name = SERVICE_ACCOUNT
    return {
        f"{name}-serviceaccount.yaml": render._service_account(name),
        f"{name}-role.yaml": render._role(name, rules, render.REQUIRES),
        f"{name}-rolebinding.yaml": render._binding(name),
    }


def documents() -> dict[str, dict[str, Any]]:
    """Every resource of the fan-out as plain data, by file name."""
    return {
        f"{FAN_OUT}-workflowtemplate.yaml": fan_out_template().to_dict(),
        f"{CRON}-cronworkflow.yaml": cron().to_dict(),
        **rbac(),
    }
