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
from typing import TYPE_CHECKING, Any

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


def scan_step(command: list[str], output: str, path: str) -> Container:
    """`model COMMAND --snapshots <the template's argument> --out PATH`; PATH is output `output`."""
    from hera.workflows import Parameter
    from hera.workflows import models as m

    out = Parameter(name=output, value_from=m.ValueFrom(path=path))
    args = [*command, "--snapshots", "{{workflow.parameters.snapshots}}", "--out", path]
    return spec.step("scan", args, workdir="/tmp", bucket=True, outputs=[out])


def bucket_template(
    name: str, account: str, snapshots: tuple[str, str], templates: list[Any], deadline: int
) -> WorkflowTemplate:
    """A template that scans the bucket and creates runs (this trigger, the fleet fan-out).

    `templates` main first; `snapshots` is (URI, description) of the one prefix it may list;
    work happens on an emptyDir volume (nothing to keep).
    """
    from hera.workflows import Parameter, WorkflowTemplate
    from hera.workflows import models as m

    uri, description = snapshots
    return WorkflowTemplate(
        name=name,
        namespace=spec.NAMESPACE,
        labels=spec.LABELS,
        entrypoint="main",
        service_account_name=account,
        security_context=spec.pod_security(),
        pod_spec_patch=resource_patch(),
        arguments=[Parameter(name="snapshots", value=uri, enum=[uri], description=description)],
        templates=templates,
        volumes=[m.Volume(name="work", empty_dir=m.EmptyDirVolumeSource())],
        active_deadline_seconds=deadline,
        ttl_strategy=m.TTLStrategy(seconds_after_completion=24 * 3600),
        pod_gc=m.PodGC(strategy="OnPodSuccess"),
    )


def scan_template() -> WorkflowTemplate:
    """scan -> submit -> mark."""
    scan = scan_step(["workflows", "scan"], "snapshot", SNAPSHOT_FILE)
    snapshots = (spec.SNAPSHOTS_URI, "Where labelled snapshots (*.csv) land.")
    templates = [_main(), scan, _submit(), mark_step()]
    return bucket_template(SCAN, SERVICE_ACCOUNT, snapshots, templates, deadline=900)


def scan_cron() -> CronWorkflow:
    """Runs the scan every hour at :17, never two at once."""
    return spec.cron(SCAN_CRON, SCAN, "17 * * * *", starting_deadline=600)


def resources() -> dict[str, WorkflowTemplate | CronWorkflow]:
    """The trigger's resources by file name."""
    return {
        f"{SCAN}-workflowtemplate.yaml": scan_template(),
        f"{SCAN_CRON}-cronworkflow.yaml": scan_cron(),
    }
