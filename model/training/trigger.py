"""The new-data trigger: a CronWorkflow that lists the bucket and submits `credit-scoring-new-data`.

No Argo Events (its CRDs have no published schema to validate against): WorkflowTemplate
`credit-scoring-new-data-scan` runs `model workflows scan` (the oldest snapshot without a
marker), creates a Workflow from the new-data template with that URI (a `resource` step:
the Kubernetes API, no Argo Server token), then `model workflows mark`s it. The CronWorkflow
runs the scan hourly, one at a time. The created Workflow is a workflowTemplateRef, which the
controller's templateReferencing: Secure requires anyway.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from model.training import spec

if TYPE_CHECKING:
    from hera.workflows import Container, CronWorkflow, Resource, WorkflowTemplate

SCAN = "credit-scoring-new-data-scan"
SCAN_CRON = "credit-scoring-new-data-scan-hourly"
SERVICE_ACCOUNT = "credit-scoring-scan"  # may get the new-data template and create workflows
SNAPSHOT_FILE = "/tmp/snapshot"  # the scan step's output parameter ("" when nothing is new)
FOUND = "'{{steps.scan.outputs.parameters.snapshot}}' != ''"


def _submit() -> Resource:
    """Create a Workflow from the new-data template with the snapshot the scan found."""
    from hera.workflows import Parameter, Resource

    manifest = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{spec.NEW_DATA}-", "labels": spec.LABELS},
        "spec": {
            "workflowTemplateRef": {"name": spec.NEW_DATA},
            "arguments": {
                "parameters": [{"name": "snapshot", "value": "{{inputs.parameters.snapshot}}"}]
            },
        },
    }
    return Resource(
        name="submit",
        action="create",
        manifest=json.dumps(manifest, sort_keys=True),  # JSON is YAML: one stable line
        inputs=[Parameter(name="snapshot")],
    )


def _main() -> object:
    from hera.workflows import Step, Steps

    found = "{{steps.scan.outputs.parameters.snapshot}}"
    return Steps(
        name="main",
        sub_steps=[
            Step(name="scan", template="scan"),
            Step(name="submit", template="submit", arguments={"snapshot": found}, when=FOUND),
            Step(name="mark", template="mark", arguments={"snapshot": found}, when=FOUND),
        ],
    )


def resource_patch() -> str:
    """The executor patch, plus `main`: a resource step's main container is Argo's own."""
    patch = json.loads(spec.executor_patch())
    ctx = patch["containers"][0]["securityContext"]
    patch["containers"].append({"name": "main", "securityContext": ctx})
    return json.dumps(patch, sort_keys=True)


def mark_step() -> Container:
    """`model workflows mark` of the snapshot a run was submitted for (its input)."""
    from hera.workflows import Parameter

    mark = spec.step(
        "mark",
        ["workflows", "mark", "--snapshot", "{{inputs.parameters.snapshot}}"],
        workdir="/tmp",
        bucket=True,
    )
    mark.inputs = [Parameter(name="snapshot")]
    return mark


def scan_template() -> WorkflowTemplate:
    """scan -> submit -> mark, on an emptyDir work volume (nothing to keep)."""
    from hera.workflows import Parameter, WorkflowTemplate
    from hera.workflows import models as m

    out = Parameter(name="snapshot", value_from=m.ValueFrom(path=SNAPSHOT_FILE))
    args = ["workflows", "scan", "--snapshots", "{{workflow.parameters.snapshots}}"]
    scan = spec.step(
        "scan", [*args, "--out", SNAPSHOT_FILE], workdir="/tmp", bucket=True, outputs=[out]
    )
    mark = mark_step()
    return WorkflowTemplate(
        name=SCAN,
        namespace=spec.NAMESPACE,
        labels=spec.LABELS,
        entrypoint="main",
        service_account_name=SERVICE_ACCOUNT,
        security_context=spec.pod_security(),
        pod_spec_patch=resource_patch(),
        arguments=[
            Parameter(
                name="snapshots",
                value=spec.SNAPSHOTS_URI,
                enum=[spec.SNAPSHOTS_URI],
                description="Where labelled snapshots (*.csv) land.",
            )
        ],
        templates=[_main(), scan, _submit(), mark],
        volumes=[m.Volume(name="work", empty_dir=m.EmptyDirVolumeSource())],
        active_deadline_seconds=900,
        ttl_strategy=m.TTLStrategy(seconds_after_completion=24 * 3600),
        pod_gc=m.PodGC(strategy="OnPodSuccess"),
    )


def scan_cron() -> CronWorkflow:
    """Runs the scan every hour at :17, never two at once."""
    from hera.workflows import CronWorkflow
    from hera.workflows import models as m

    return CronWorkflow(
        name=SCAN_CRON,
        namespace=spec.NAMESPACE,
        labels=spec.LABELS,
        schedules=["17 * * * *"],
        timezone="UTC",
        concurrency_policy="Forbid",
        starting_deadline_seconds=600,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=3,
        workflow_template_ref=m.WorkflowTemplateRef(name=SCAN),
    )


def resources() -> dict[str, WorkflowTemplate | CronWorkflow]:
    """The trigger's resources by file name."""
    return {
        f"{SCAN}-workflowtemplate.yaml": scan_template(),
        f"{SCAN_CRON}-cronworkflow.yaml": scan_cron(),
    }
