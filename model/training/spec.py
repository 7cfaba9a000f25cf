"""The in-cluster retraining loop as Argo Workflows, defined once here with hera.

WorkflowTemplate `credit-scoring-retrain` (checkout -> drift check -> retrain -> push ->
report), CronWorkflow `credit-scoring-retrain-daily` that runs it on the servers' sampled
traffic in the bucket, and WorkflowTemplate `credit-scoring-new-data` (checkout -> retrain ->
push -> report) that the bucket scan (trigger.py) submits with a new snapshot's URI. Steps
share a per-run volume at /work. Drift without new labels ends the daily run in "attention"
(the report step exits 3 and opens a GitHub issue); the drift report is an output artifact.
Every pod is Pod Security "restricted" (Argo's own init and wait containers too, through
podSpecPatch); secrets come only from the Secrets named below, the git token is answered to
the forge host only, and a submitter picks the repository and base branch from enums.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from model import config

if TYPE_CHECKING:
    from hera.workflows import Artifact, Container, CronWorkflow, WorkflowTemplate
    from hera.workflows import models as m

NAMESPACE = "credit-scoring-ci"
TRAINER_IMAGE = "credit-scoring-trainer"  # kustomization.yaml pins the registry and digest
SERVICE_ACCOUNT = "credit-scoring-retrain"
UID = 10001  # the trainer image's user (Dockerfile `trainer` target)
FORGE = "https://github.com"  # the only host the git token is ever answered to
REPO_URL = f"{FORGE}/credit-scoring/credit-scoring.git"
# Submitters choose from these, never free text: Argo refuses a value outside a parameter's
# enum at submit, so no other repository and no option-looking ref (`--upload-pack=…`).
REVISIONS = ["main"]
# Object storage (S3 API; AWS_ENDPOINT_URL and keys come from the DVC Secret): the prod
# servers ship samples-*.jsonl under SAMPLES_URI (MODEL_SAMPLE_DIR); labelled exports land
# under SNAPSHOTS_URI, which the scan CronWorkflow lists.
SAMPLES_URI = "s3://credit-scoring-samples/prod"
SNAPSHOTS_URI = "s3://credit-scoring-data/snapshots"
GITHUB_REPOSITORY = "credit-scoring/credit-scoring"  # REPO_URL's owner/name: attention issues

# Secrets are declared in Git as ExternalSecrets (render.py) that the External Secrets
# Operator fills from this ClusterSecretStore; the cluster operator creates the store.
SECRET_STORE = "credit-scoring"
GIT_SECRET = "credit-scoring-git"  # key `token`: may push retrain/* branches
DVC_SECRET = "credit-scoring-dvc"  # AWS_* (or other dvc remote) variables, as env
MLFLOW_SECRET = "credit-scoring-mlflow"  # keys `uri` and `token`

DVC_SITE_CACHE = "/tmp/dvc-site-cache"
RETRAIN = "credit-scoring-retrain"
NEW_DATA = "credit-scoring-new-data"
DAILY = "credit-scoring-retrain-daily"
WORK, REPO = "/work", "/work/repo"
LABELS = {"app.kubernetes.io/name": "credit-scoring", "app.kubernetes.io/component": "retrain"}

# git reads its config from the environment: a credential helper that answers with the
# token from the Secret, so no file is written and the root filesystem stays read-only.
# It is keyed to the forge's URL (credential.<url>.helper): a clone, submodule or redirect
# to any other host gets no helper, hence never the token.
GIT_HELPER_KEY = f"credential.{FORGE}.helper"
GIT_HELPER = (
    '!f() { test "$1" = get && echo username=x-access-token && echo "password=$GIT_TOKEN"; }; f'
)


# Per step: checkout is git + `dvc pull`, drift reads samples into pandas, retrain runs the
# whole pipeline (the 200-tree model and its report), report only reads two JSON files.
STEP_RESOURCES = {
    "checkout": ({"cpu": "250m", "memory": "512Mi"}, {"cpu": "1", "memory": "1Gi"}),
    "push": ({"cpu": "200m", "memory": "384Mi"}, {"cpu": "1", "memory": "1Gi"}),
    "drift-check": ({"cpu": "500m", "memory": "1Gi"}, {"cpu": "2", "memory": "2Gi"}),
    "retrain": ({"cpu": "1", "memory": "2Gi"}, {"cpu": "4", "memory": "4Gi"}),
    "report": ({"cpu": "100m", "memory": "256Mi"}, {"cpu": "500m", "memory": "512Mi"}),
    "scan": ({"cpu": "100m", "memory": "256Mi"}, {"cpu": "500m", "memory": "512Mi"}),
    "mark": ({"cpu": "100m", "memory": "256Mi"}, {"cpu": "500m", "memory": "512Mi"}),
}


# The steps whose failures are the network, the forge or the DVC remote, and whose rerun does
# the same thing again: checkout (its inputs are enums; it clones beside its destination and
# moves the clone in last) and push (git and dvc pushes are idempotent). retrain is not
# retried: it commits, and a rerun over that clone would find the data "unchanged".
RETRIED = ("checkout", "push", "scan", "mark")


def container_security() -> m.SecurityContext:
    """Container-level settings the "restricted" Pod Security profile requires."""
    from hera.workflows import models as m

    return m.SecurityContext(
        allow_privilege_escalation=False,
        capabilities=m.Capabilities(drop=["ALL"]),
        read_only_root_filesystem=True,
        run_as_non_root=True,
        run_as_user=UID,
        run_as_group=UID,
        seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
    )


def pod_security() -> m.PodSecurityContext:
    """Pod-level settings: non-root numeric user, RuntimeDefault seccomp, group-owned volumes."""
    from hera.workflows import models as m

    return m.PodSecurityContext(
        run_as_non_root=True,
        run_as_user=UID,
        run_as_group=UID,
        fs_group=UID,
        seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
    )


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "credit-scoring retrain",
    "GIT_AUTHOR_EMAIL": "retrain@credit-scoring.invalid",
    "GIT_COMMITTER_NAME": "credit-scoring retrain",
    "GIT_COMMITTER_EMAIL": "retrain@credit-scoring.invalid",
}


def executor_patch() -> str:
    """podSpecPatch giving Argo's injected init and wait containers the "restricted" settings.

    The controller adds them to every step pod without the template's securityContext, so a
    namespace that enforces "restricted" would refuse the pod (or a controller default would
    decide). Strategic merge by container name leaves `main` as the template sets it.
    """
    ctx = container_security().model_dump(by_alias=True, exclude_none=True, mode="json")
    return json.dumps(
        {
            "initContainers": [{"name": "init", "securityContext": ctx}],
            "containers": [{"name": "wait", "securityContext": ctx}],
        },
        sort_keys=True,
    )


def step_env(git: bool, mlflow: bool, notify: bool = False) -> list:
    """A step's environment: only the secrets it needs, by reference, never by value."""
    from hera.workflows import Env, SecretEnv

    out: list = [
        Env(name="HOME", value="/tmp"),  # the image's HOME; /tmp is an emptyDir
        # DVC's site cache defaults to /var/tmp/dvc, on the read-only root filesystem.
        Env(name="DVC_SITE_CACHE_DIR", value=DVC_SITE_CACHE),
    ]
    if git:
        out += [
            SecretEnv(name=config.GIT_TOKEN, secret_name=GIT_SECRET, secret_key="token"),
            Env(name="GIT_CONFIG_COUNT", value="1"),
            Env(name="GIT_CONFIG_KEY_0", value=GIT_HELPER_KEY),
            Env(name="GIT_CONFIG_VALUE_0", value=GIT_HELPER),
            *(Env(name=k, value=v) for k, v in GIT_IDENTITY.items()),
            Env(name=config.MODEL_DVC_REMOTE, value="s3"),
        ]
    if notify:  # the report step opens the attention issue with the same forge token
        out += [
            SecretEnv(name=config.GITHUB_TOKEN, secret_name=GIT_SECRET, secret_key="token"),
            Env(name=config.GITHUB_REPOSITORY, value=GITHUB_REPOSITORY),
        ]
    if mlflow:
        out += [
            SecretEnv(name=config.MLFLOW_TRACKING_URI, secret_name=MLFLOW_SECRET, secret_key="uri"),
            SecretEnv(
                name=config.MLFLOW_TRACKING_TOKEN,
                secret_name=MLFLOW_SECRET,
                secret_key="token",
                optional=True,
            ),
        ]
    return out


def step(
    name: str,
    args: list[str],
    *,
    workdir: str = REPO,
    git: bool = False,
    mlflow: bool = False,
    bucket: bool = False,
    notify: bool = False,
    outputs: list | None = None,
) -> Container:
    """One `model <verb>` step on the trainer image: restricted, /tmp scratch, /work shared.

    `git` grants the push token and the DVC remote's credentials (checkout and retrain);
    `mlflow` the tracking server; `bucket` the object storage keys only (drift, scan);
    `notify` the forge token for the attention issue (report).
    """
    from hera.workflows import Container, EmptyDirVolume, SecretEnvFrom
    from hera.workflows import models as m

    requests, limits = STEP_RESOURCES[name]

    retry = m.RetryStrategy(
        limit=m.IntOrString(3),
        retry_policy="Always",
        backoff=m.Backoff(duration="30s", factor=m.IntOrString(2), max_duration="5m"),
    )
    volumes: list = [EmptyDirVolume(name="tmp", mount_path="/tmp")]
    return Container(
        name=name,
        image=TRAINER_IMAGE,
        command=["model"],  # explicit: never whatever ENTRYPOINT the pulled image declares
        args=args,
        working_dir=workdir,
        env=step_env(git, mlflow, notify),
        env_from=[SecretEnvFrom(name=DVC_SECRET)] if git or bucket else None,
        volumes=volumes,
        volume_mounts=[m.VolumeMount(name="work", mount_path=WORK)],
        security_context=container_security(),
        resources=m.ResourceRequirements(requests=requests, limits=limits),
        retry_strategy=retry if name in RETRIED else None,
        outputs=outputs,
    )


def templates(trigger: str, with_drift: bool) -> list[Container]:
    """The step containers; the retrain trigger names the branch (retrain/<trigger>-…)."""
    ref = "{{workflow.parameters.revision}}"
    checkout = [
        "workflows",
        "checkout",
        "--repo-url",
        "{{workflow.parameters.repo-url}}",
        "--rev",
        ref,
        "--dest",
        REPO,
    ]
    retrain = [
        "retrain",
        "--trigger",
        trigger,
        "--base",
        ref,
        "--snapshot",
        "{{workflow.parameters.snapshot}}",
        "--summary",
        f"{WORK}/retrain.json",
        "--no-push",  # the push step pushes, with retries
    ]
    if not with_drift:  # new data names its model (the fleet fan-out); an argument, no shell
        retrain += ["--model", "{{workflow.parameters.model}}"]
    report = ["workflows", "report", "--work", WORK, "--drift" if with_drift else "--no-drift",
              "--run", "{{workflow.name}}"]  # fmt: skip
    out = [
        step("checkout", checkout, workdir=WORK, git=True),
        step("retrain", retrain, git=True, mlflow=True),
        step("push", ["workflows", "push", "--work", WORK, "--repo", REPO], git=True),
    ]
    if with_drift:
        drift = [
            "drift",
            "--reference",
            "data/credit_data.csv",
            "--current",
            "{{workflow.parameters.current}}",
            "--out",
            f"{WORK}/drift",
        ]
        out.append(step("drift-check", drift, bucket=True, outputs=[drift_artifact()]))
    out.append(step("report", report, workdir=WORK, notify=True))
    return out


def drift_artifact() -> Artifact:
    """drift.md + drift.json, kept in the artifact repository after the work volume is gone.

    Saved whether the step passed or failed (drift exits 1); optional, so a drift check that
    failed on bad input reports that, not a missing artifact.
    """
    from hera.workflows import Artifact

    return Artifact(name="drift-report", path=f"{WORK}/drift", optional=True)


def _arguments(with_drift: bool) -> list:
    from hera.workflows import Parameter

    params = [
        Parameter(name="repo-url", value=REPO_URL, enum=[REPO_URL]),
        Parameter(
            name="revision",
            value=REVISIONS[0],
            enum=REVISIONS,
            description="Base branch: checked out, PR target.",
        ),
    ]
    about = "New raw data: a path or a URL `dvc get-url` reads."
    if with_drift:  # optional: without new data a drift alarm has nothing to retrain on
        params.append(Parameter(name="snapshot", value="", description=about))
    else:  # required: the event source must say which snapshot arrived
        params.append(Parameter(name="snapshot", description=about))
        params.append(
            Parameter(
                name="model",
                value=config.DEFAULT_MODEL_NAME,
                description="The model to retrain: the root model or a fleet/<name> folder.",
            )
        )
    if with_drift:
        params.append(
            Parameter(
                name="current",
                value=SAMPLES_URI,
                description="Sampled traffic: s3:// prefix of samples-*.jsonl (every pod).",
            )
        )
    return params


def _main_steps(with_drift: bool) -> m.Template:
    from hera.workflows import Step, Steps
    from hera.workflows import models as m

    # A failed retrain must still reach the report step, which then fails the run with the
    # reason; drift exits 1 when it finds drift, which is what lets the retrain run.
    keep_going = m.ContinueOn(failed=True)
    sub = [Step(name="checkout", template="checkout")]
    if with_drift:
        sub.append(Step(name="drift-check", template="drift-check", continue_on=keep_going))
        sub.append(
            Step(
                name="retrain",
                template="retrain",
                continue_on=keep_going,
                when="{{steps.drift-check.exitCode}} == 1",
            )
        )
    else:
        sub.append(Step(name="retrain", template="retrain", continue_on=keep_going))
    # push no-ops when no retrain proposed a branch; if it still fails after its retries,
    # the report says so and fails the run.
    sub.append(Step(name="push", template="push", continue_on=keep_going))
    sub.append(Step(name="report", template="report"))
    return Steps(name="main", sub_steps=sub)


def workflow_template(name: str, trigger: str, with_drift: bool) -> WorkflowTemplate:
    """A retraining WorkflowTemplate (with or without the drift gate in front)."""
    from hera.workflows import WorkflowTemplate
    from hera.workflows import models as m

    claim = m.PersistentVolumeClaim(
        api_version="v1",  # optional to Argo, required by its published schema
        kind="PersistentVolumeClaim",
        metadata=m.ObjectMeta(name="work"),
        spec=m.PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=m.VolumeResourceRequirements(requests={"storage": m.Quantity("2Gi")}),
        ),
    )
    return WorkflowTemplate(
        name=name,
        namespace=NAMESPACE,
        labels=LABELS,
        entrypoint="main",
        service_account_name=SERVICE_ACCOUNT,
        security_context=pod_security(),
        pod_spec_patch=executor_patch(),
        arguments=_arguments(with_drift),
        templates=[_main_steps(with_drift), *templates(trigger, with_drift)],
        volume_claim_templates=[claim],
        volume_claim_gc=m.VolumeClaimGC(strategy="OnWorkflowCompletion"),
        active_deadline_seconds=3600,
        ttl_strategy=m.TTLStrategy(seconds_after_completion=7 * 24 * 3600),
        pod_gc=m.PodGC(strategy="OnPodSuccess"),
    )


def cron(name: str, template: str, schedule: str, starting_deadline: int) -> CronWorkflow:
    """A CronWorkflow running `template` on `schedule` (UTC), never two at once."""
    from hera.workflows import CronWorkflow
    from hera.workflows import models as m

    return CronWorkflow(
        name=name,
        namespace=NAMESPACE,
        labels=LABELS,
        schedules=[schedule],
        timezone="UTC",
        concurrency_policy="Forbid",
        starting_deadline_seconds=starting_deadline,
        successful_jobs_history_limit=3,
        failed_jobs_history_limit=3,
        workflow_template_ref=m.WorkflowTemplateRef(name=template),
    )


def daily() -> CronWorkflow:
    """Runs the drift-gated template every day; never two at once."""
    return cron(DAILY, RETRAIN, "0 4 * * *", starting_deadline=3600)


def resources() -> dict[str, WorkflowTemplate | CronWorkflow]:
    """Every rendered resource by file name (one resource per file, <app>-<kind>.yaml)."""
    from model.training import trigger  # it builds its steps with this module's step()

    return {
        "credit-scoring-retrain-workflowtemplate.yaml": workflow_template(RETRAIN, "drift", True),
        "credit-scoring-new-data-workflowtemplate.yaml": workflow_template(
            NEW_DATA, "new-data", False
        ),
        "credit-scoring-retrain-daily-cronworkflow.yaml": daily(),
        **trigger.resources(),
    }
