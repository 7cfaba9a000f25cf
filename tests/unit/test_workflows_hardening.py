"""Issue 13, hardening: submitting a run cannot leak the pipeline's secrets or move its image.

Read from the committed k8s/workflows/ (what Argo CD applies); the e2e tests run the real
git, kubectl and the CRD schemas from npm against it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from model.training import platform, render, spec
from tests.conftest import ROOT
from tests.tools import require

OUT = ROOT / "k8s" / "workflows"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# A git ref a submitter may name: no option (`--upload-pack=`), no shell or revision syntax.
SAFE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def doc(name: str) -> dict[str, Any]:
    return yaml.safe_load((OUT / name).read_text())


def templates() -> list[dict[str, Any]]:
    return [doc(f"{n}-workflowtemplate.yaml") for n in (spec.RETRAIN, spec.NEW_DATA)]


def containers(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in template["spec"]["templates"] if "container" in t}


def git_config(container: dict[str, Any]) -> dict[str, str]:
    """The GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n pairs a step sets, as key -> value."""
    env = {v["name"]: v.get("value") for v in container["env"]}
    count = int(env.get("GIT_CONFIG_COUNT", "0"))
    return {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(count)}


def kustomize() -> list[dict[str, Any]]:
    out = subprocess.run(
        [require("kubectl"), "kustomize", str(OUT)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


# --- the git token goes to the forge only ------------------------------------------------


@pytest.mark.unit
def test_credential_helper_is_keyed_to_the_forge_host_only() -> None:
    seen = 0
    for template in templates():
        for name, tpl in containers(template).items():
            config = git_config(tpl["container"])
            helpers = {k for k in config if k.startswith("credential.")}
            assert "credential.helper" not in helpers, f"{name}: helper answers any host"
            if helpers:
                assert helpers == {f"credential.{spec.FORGE}.helper"}, name
                assert spec.REPO_URL.startswith(spec.FORGE + "/")
                seen += 1
    assert seen == 6, "checkout, retrain and push in both templates use the token"


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("host", "answered"),
    [("github.com", True), ("evil.example", False), ("github.com.evil.example", False)],
)
def test_git_answers_the_token_to_the_forge_and_to_no_other_host(
    tmp_path: Path, host: str, answered: bool
) -> None:
    container = containers(templates()[0])["checkout"]["container"]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",  # no helper answers: git must not fall back to a prompt
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_TOKEN": "s3cret-token",
    }
    env |= {v["name"]: v["value"] for v in container["env"] if v["name"].startswith("GIT_CONF")}
    proc = subprocess.run(
        ["git", "credential", "fill"],
        input=f"protocol=https\nhost={host}\npath=credit-scoring/credit-scoring.git\n\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=tmp_path,
    )
    assert ("password=s3cret-token" in proc.stdout) is answered, proc.stdout + proc.stderr
    if not answered:
        assert proc.returncode != 0 and "s3cret" not in proc.stdout + proc.stderr


# --- no free repository, no free ref ------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("name", [spec.RETRAIN, spec.NEW_DATA])
def test_repo_url_and_revision_are_enums_of_safe_values(name: str) -> None:
    params = {
        p["name"]: p
        for p in doc(f"{name}-workflowtemplate.yaml")["spec"]["arguments"]["parameters"]
    }
    assert params["repo-url"]["enum"] == [spec.REPO_URL]
    assert params["repo-url"]["value"] == spec.REPO_URL
    revisions = params["revision"]["enum"]
    assert revisions and params["revision"]["value"] in revisions
    for ref in revisions:
        assert SAFE_REF.match(ref) and ".." not in ref, ref
    for hostile in ("--upload-pack=touch /tmp/x", "main;id", "$(id)", "-b", "../x"):
        assert hostile not in revisions


# --- the submitter can only run the templates ---------------------------------------------


@pytest.mark.unit
def test_submitter_role_only_reads_the_templates_and_creates_workflows() -> None:
    role = doc(f"{render.SUBMITTER}-role.yaml")
    rules = role["rules"]
    grants = {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert grants == {
        ("argoproj.io", "workflowtemplates", "get"),
        ("argoproj.io", "workflows", "create"),
    }
    reads = next(r for r in rules if r["resources"] == ["workflowtemplates"])
    assert sorted(reads["resourceNames"]) == sorted([spec.RETRAIN, spec.NEW_DATA])
    # `create` cannot be narrowed by name; the controller's templateReferencing is what
    # refuses a Workflow that is not a reference to these templates. Say so where it is read.
    why = role["metadata"]["annotations"][render.REQUIRES_ANNOTATION]
    assert "templateReferencing: Secure" in why


# --- Argo's own containers meet "restricted" too ------------------------------------------


def argo_pod(template: dict[str, Any], step: str) -> dict[str, Any]:
    """The pod Argo's controller builds for `step`: its init and wait containers bare."""
    main = containers(template)[step]["container"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"run-{step}"},
        "spec": {
            "securityContext": template["spec"]["securityContext"],
            "initContainers": [{"name": "init", "image": "quay.io/argoproj/argoexec"}],
            "containers": [
                {"name": "wait", "image": "quay.io/argoproj/argoexec"},
                {"name": "main", **main},
            ],
        },
    }


@pytest.mark.e2e
@pytest.mark.parametrize("name", [spec.RETRAIN, spec.NEW_DATA])
def test_pod_spec_patch_makes_argo_init_and_wait_containers_restricted(
    tmp_path: Path, name: str
) -> None:
    template = doc(f"{name}-workflowtemplate.yaml")
    patch = yaml.safe_load(template["spec"]["podSpecPatch"])
    pod_file = tmp_path / "pod.yaml"
    pod_file.write_text(yaml.safe_dump(argo_pod(template, "checkout")))
    out = subprocess.run(
        [require("kubectl"), "patch", "--local", "-f", str(pod_file), "--type", "strategic",
         "-p", json.dumps({"spec": patch}), "-o", "json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    pod = json.loads(out)["spec"]
    every = pod["initContainers"] + pod["containers"]
    assert {c["name"] for c in every} == {"init", "wait", "main"}
    for container in every:
        ctx = container.get("securityContext", {})
        for key, value in RESTRICTED_CONTAINER.items():
            assert ctx.get(key) == value, f"{name}/{container['name']}: {key}={ctx.get(key)}"
        assert ctx.get("readOnlyRootFilesystem") is True, container["name"]


# --- the trainer image cannot move ---------------------------------------------------------


@pytest.mark.unit
def test_trainer_image_is_pinned_by_digest_never_a_tag() -> None:
    images = doc("kustomization.yaml")["images"]
    assert len(images) == 1 and images[0]["name"] == spec.TRAINER_IMAGE
    assert "newTag" not in images[0], "a tag moves; pin the digest the release wrote"
    assert render.IMAGE_NAME.fullmatch(images[0]["newName"])
    assert images[0]["newName"].endswith(f"/{spec.TRAINER_IMAGE}")
    assert DIGEST.match(images[0]["digest"])


@pytest.mark.unit
def test_every_step_names_its_command() -> None:
    for template in templates():
        for name, tpl in containers(template).items():
            assert tpl["container"]["command"] == ["model"], name


@pytest.mark.unit
def test_release_pin_writes_the_digest_and_the_generator_still_matches(tmp_path: Path) -> None:
    render.write(tmp_path)
    digest = "sha256:" + "ab" * 32
    render.pin_trainer(f"{render.TRAINER_REGISTRY}@{digest}", tmp_path)
    pinned = yaml.safe_load((tmp_path / "kustomization.yaml").read_text())["images"][0]
    assert pinned["digest"] == digest
    assert render.differences(tmp_path) == []
    render.write(tmp_path)  # re-rendering after a spec change keeps the released digest
    assert yaml.safe_load((tmp_path / "kustomization.yaml").read_text())["images"][0] == pinned


@pytest.mark.unit
def test_release_pin_writes_the_repository_the_release_pushed_to(tmp_path: Path) -> None:
    """As `model promote` does for serving: the pushed name and digest, kept by re-renders."""
    render.write(tmp_path)
    ref = f"ghcr.io/acme/{spec.TRAINER_IMAGE}@sha256:{'ef' * 32}"
    render.pin_trainer(ref, tmp_path)
    assert render.pinned_image(tmp_path) == tuple(ref.split("@"))
    assert render.differences(tmp_path) == []
    render.write(tmp_path)
    assert render.pinned_image(tmp_path) == tuple(ref.split("@"))


@pytest.mark.unit
@pytest.mark.parametrize(
    "ref",
    [
        f"{render.TRAINER_REGISTRY}:main",
        f"ghcr.io/someone-else/trainer@sha256:{'ab' * 32}",
        f"{render.TRAINER_REGISTRY}@sha256:{'AB' * 32}",
        f"{render.TRAINER_REGISTRY}@sha256:abc",
        f"{render.TRAINER_REGISTRY}@sha256:{'ab' * 32}\n",
        f"ghcr.io/acme/credit-scoring@sha256:{'ab' * 32}",  # the serving image
        f"GHCR.io/acme/{spec.TRAINER_IMAGE}@sha256:{'ab' * 32}",
        f"ghcr.io/acme/../{spec.TRAINER_IMAGE}@sha256:{'ab' * 32}",
        f"{spec.TRAINER_IMAGE}@sha256:{'ab' * 32}",  # no registry
        f"ghcr.io/acme/{spec.TRAINER_IMAGE}\n@sha256:{'ab' * 32}",
    ],
)
def test_release_pin_refuses_a_tag_another_image_or_a_bad_digest(tmp_path: Path, ref: str) -> None:
    render.write(tmp_path)
    before = (tmp_path / "kustomization.yaml").read_text()
    with pytest.raises(render.PinError, match="expected"):
        render.pin_trainer(ref, tmp_path)
    assert (tmp_path / "kustomization.yaml").read_text() == before


@pytest.mark.e2e
def test_make_release_trainer_pin_writes_the_kustomization(tmp_path: Path) -> None:
    render.write(tmp_path)
    ref = f"{render.TRAINER_REGISTRY}@sha256:{'cd' * 32}"
    proc = subprocess.run(
        ["make", "--no-print-directory", "release-trainer-pin", f"IMAGE_REF={ref}",
         f"WORKFLOWS_DIR={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pinned = yaml.safe_load((tmp_path / "kustomization.yaml").read_text())["images"][0]
    assert pinned["digest"] == "sha256:" + "cd" * 32


# --- transient steps retry; every step is sized ---------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("name", [spec.RETRAIN, spec.NEW_DATA])
def test_checkout_retries_with_a_limit_and_backoff(name: str) -> None:
    retry = containers(doc(f"{name}-workflowtemplate.yaml"))["checkout"]["retryStrategy"]
    assert 1 <= int(retry["limit"]) <= 5
    assert retry["backoff"]["duration"] and int(retry["backoff"]["factor"]) >= 2
    assert retry["backoff"]["maxDuration"]
    assert retry["retryPolicy"] == "Always"  # its inputs are enums: a failure is transient


def quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * factor
    return float(value)


@pytest.mark.unit
def test_requests_and_limits_are_sized_per_step() -> None:
    sizes: dict[str, tuple[float, float]] = {}
    for name, tpl in containers(templates()[0]).items():
        res = tpl["container"]["resources"]
        cpu, memory = quantity(res["requests"]["cpu"]), quantity(res["requests"]["memory"])
        assert quantity(res["limits"]["memory"]) >= memory, name
        assert quantity(res["limits"]["cpu"]) >= cpu, name
        sizes[name] = (cpu, memory)
    assert sizes["retrain"] > sizes["drift-check"] > sizes["checkout"] >= sizes["report"]
    assert len(set(sizes.values())) == len(sizes), "one size for every step is not sizing"


# --- the CI namespace talks only to what the steps need ------------------------------------


@pytest.mark.unit
def test_network_policy_denies_by_default_and_allows_only_documented_egress() -> None:
    policy = doc(f"{spec.NAMESPACE}-networkpolicy.yaml")
    body = policy["spec"]
    assert body["podSelector"] == {} and sorted(body["policyTypes"]) == ["Egress", "Ingress"]
    assert not body.get("ingress"), "nothing calls into a workflow pod"
    allowed: set[tuple[str, int]] = set()
    for rule in body["egress"]:
        assert rule.get("ports"), f"an egress rule without ports allows everything: {rule}"
        assert rule.get("to"), f"an egress rule without peers allows any destination: {rule}"
        allowed |= {(p["protocol"], p["port"]) for p in rule["ports"]}
    assert allowed == set(platform.EGRESS_PORTS)
    dns = next(r for r in body["egress"] if {"protocol": "UDP", "port": 53} in r["ports"])
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kube-system"
    }
    for rule in body["egress"]:
        for peer in rule["to"]:
            if "ipBlock" in peer:  # the cloud metadata endpoint hands out node credentials
                assert "169.254.0.0/16" in peer["ipBlock"]["except"], peer


# --- the Secrets come from the secret store, declared in Git ---------------------------------


@pytest.mark.unit
def test_every_pipeline_secret_is_an_external_secret_from_the_cluster_store() -> None:
    found = {}
    for path in sorted(OUT.glob("*-externalsecret.yaml")):
        obj = yaml.safe_load(path.read_text())
        assert obj["apiVersion"] == "external-secrets.io/v1" and obj["kind"] == "ExternalSecret"
        assert obj["spec"]["secretStoreRef"] == {
            "kind": "ClusterSecretStore",
            "name": spec.SECRET_STORE,
        }
        target = obj["spec"]["target"]
        assert target["name"] == obj["metadata"]["name"] and target["creationPolicy"] == "Owner"
        found[target["name"]] = obj["spec"]
    assert set(found) == {spec.GIT_SECRET, spec.DVC_SECRET, spec.MLFLOW_SECRET}
    # The keys the steps read are the keys the ExternalSecrets write.
    used: dict[str, set[str]] = {}
    for template in templates():
        for tpl in containers(template).values():
            for var in tpl["container"]["env"]:
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    used.setdefault(ref["name"], set()).add(ref["key"])
    for name, keys in used.items():
        assert keys <= {d["secretKey"] for d in found[name]["data"]}, name
    assert found[spec.DVC_SECRET]["dataFrom"][0]["extract"]["key"], "AWS_* come as a set"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    scripts = ROOT / "scripts"
    if not (scripts / "node_modules" / "@kubernetes-models" / "external-secrets").is_dir():
        pytest.skip("npm ci --prefix scripts (make scripts/node_modules/.package-lock.json)")
    return subprocess.run(
        [require("node"), str(scripts / "validate-workflows.mjs"), str(path)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


@pytest.mark.e2e
def test_rendered_workflows_and_external_secrets_pass_their_crd_schemas(tmp_path: Path) -> None:
    docs = kustomize()
    rendered = tmp_path / "workflows.yaml"
    rendered.write_text(yaml.safe_dump_all(docs))
    proc = validate(rendered)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kinds = {d["kind"] for d in docs if d["apiVersion"].split("/")[0] in render.CRD_GROUPS}
    assert kinds == {"WorkflowTemplate", "CronWorkflow", "ExternalSecret"}
    assert proc.stdout.count("\nok ") + proc.stdout.startswith("ok ") == sum(
        d["kind"] in kinds for d in docs
    )


@pytest.mark.e2e
def test_workflow_validation_walks_a_folder_of_manifests() -> None:
    # validate-workflows and validate-crds share one loop (scripts/validate-objects.mjs), so a
    # folder is walked for *.yaml as validate-crds always did; before, it failed with EISDIR.
    proc = validate(OUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = sum(
        str(doc.get("apiVersion", "")).split("/")[0] in render.CRD_GROUPS
        for path in OUT.glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    )
    assert expected > 0
    assert (
        f"{expected} Argo Workflows / External Secrets object(s) checked, 0 invalid" in proc.stdout
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    "breakage",
    ["store-kind", "remote-ref", "workflow-field", "unknown-kind"],
)
def test_crd_validation_refuses_a_broken_object(tmp_path: Path, breakage: str) -> None:
    docs = kustomize()
    secret = next(d for d in docs if d["kind"] == "ExternalSecret")
    template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
    if breakage == "store-kind":
        secret["spec"]["secretStoreRef"]["kind"] = "Vault"
    elif breakage == "remote-ref":
        secret["spec"].setdefault("data", [{}])[0]["remoteRef"] = {"property": "token"}
    elif breakage == "workflow-field":
        template["spec"]["activeDeadlineSeconds"] = "an hour"
    else:
        docs.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Sensor", "metadata": {}})
    rendered = tmp_path / "broken.yaml"
    rendered.write_text(yaml.safe_dump_all(docs))
    proc = validate(rendered)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL" in proc.stderr


@pytest.mark.e2e
def test_a_retried_checkout_starts_clean_after_a_failed_attempt(tmp_path: Path) -> None:
    from model.pipeline.datapull import DataPullError
    from model.training.retrain import RetrainError
    from model.training.steps import checkout

    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "data.dvc").write_text("outs:\n- md5: not-a-pin\n  path: data\n")  # pull refuses
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=origin, check=True)  # fmt: skip
    dest = tmp_path / "work" / "repo"
    dest.parent.mkdir()
    (dest.parent / ".repo.partial").mkdir()  # what a killed attempt left behind
    (dest.parent / ".repo.partial" / "junk").write_text("x")
    errors = []
    for _ in range(2):  # the clone works; the data pull fails (no data.dvc): as a flaky remote
        with pytest.raises((RetrainError, DataPullError)) as err:
            checkout(str(origin), "main", dest)
        errors.append(str(err.value))
        assert not dest.exists(), "a failed attempt must not leave a clone where a retry clones"
    assert "already exists" not in errors[1] and errors[0] == errors[1]


# --- the push is its own step, retried; a branch that never left the pod fails the run -------


@pytest.mark.unit
@pytest.mark.parametrize("name", [spec.RETRAIN, spec.NEW_DATA])
def test_push_is_a_retried_step_after_a_retrain_that_does_not_push(name: str) -> None:
    template = doc(f"{name}-workflowtemplate.yaml")
    steps = containers(template)
    assert "--no-push" in steps["retrain"]["container"]["args"]
    assert "retryStrategy" not in steps["retrain"], "retrain commits; a rerun is not the same"
    push = steps["push"]
    assert push["container"]["args"][:2] == ["workflows", "push"]
    assert 1 <= int(push["retryStrategy"]["limit"]) <= 5 and push["retryStrategy"]["backoff"]
    main = next(t for t in template["spec"]["templates"] if t["name"] == "main")
    order = [group[0]["name"] for group in main["steps"]]
    assert order[-3:] == ["retrain", "push", "report"]


@pytest.mark.unit
def test_report_fails_a_proposed_branch_that_was_not_pushed(tmp_path: Path) -> None:
    from model.training.retrain import Outcome
    from model.training.steps import run_report

    outcome = Outcome("proposed", "a" * 32, "b" * 32, branch="retrain/drift-x", pushed=False)
    (tmp_path / "retrain.json").write_text(outcome.to_json())
    result = run_report(tmp_path, drift_expected=False)
    assert result.status == "failed"
    assert "not pushed" in result.markdown and "push step" in result.markdown


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.mark.e2e
def test_push_step_pushes_the_committed_branch_and_a_retry_is_a_no_op(tmp_path: Path) -> None:
    from model.training.retrain import Outcome
    from model.training.steps import push

    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    work = tmp_path / "work"
    repo = work / "repo"
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    (repo / "x").write_text("x")
    git(repo, "add", "x")
    git(repo, "commit", "-q", "-m", "x")
    git(repo, "push", "-q", "origin", "HEAD:main")
    git(repo, "checkout", "-q", "-b", "retrain/drift-x")
    (repo / "x").write_text("y")
    git(repo, "commit", "-q", "-am", "retrain")
    head = git(repo, "rev-parse", "HEAD").strip()
    outcome = Outcome("proposed", "a" * 32, "b" * 32, branch="retrain/drift-x")
    (work / "retrain.json").write_text(outcome.to_json())
    for _ in range(2):  # the second run is what a retry after a lost pod does
        push(work, repo)  # no .dvc here: git only
        assert (
            git(tmp_path, "--git-dir", str(origin), "rev-parse", "retrain/drift-x").strip() == head
        )
        assert json.loads((work / "retrain.json").read_text())["pushed"] is True


@pytest.mark.unit
def test_push_step_without_a_proposed_retrain_does_nothing(tmp_path: Path) -> None:
    from model.training.retrain import Outcome
    from model.training.steps import push

    assert "nothing to push" in push(tmp_path, tmp_path / "repo")
    (tmp_path / "retrain.json").write_text(Outcome("unchanged", "m", "m").to_json())
    assert "nothing to push" in push(tmp_path, tmp_path / "repo")
