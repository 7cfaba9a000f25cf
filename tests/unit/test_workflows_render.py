"""The committed Argo Workflows YAML is exactly the generator's output, valid and restricted."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest

from model.training import render, spec
from tests.workflow_manifests import (
    ARGO_MODELS,
    OUT,
    RESTRICTED_VOLUMES,
    SECRET_NAMES,
    SENSITIVE,
    argo_docs,
    committed,
    pod_templates,
)

pytestmark = pytest.mark.unit


def test_committed_yaml_matches_generator_byte_for_byte() -> None:
    expected = render.render()
    found = {p.name: p.read_text() for p in OUT.glob("*.yaml")}
    assert sorted(found) == sorted(expected), "run `model workflows render`"
    for name, text in expected.items():
        assert found[name] == text, (
            f"{name} differs from the generator; run `model workflows render`"
        )
    assert render.differences(OUT) == []


def test_render_check_reports_a_hand_edit(tmp_path: Path) -> None:
    render.write(tmp_path)
    target = tmp_path / "credit-scoring-retrain-daily-cronworkflow.yaml"
    target.write_text(target.read_text().replace("0 4 * * *", "0 5 * * *"))
    (tmp_path / "stray.yaml").write_text("kind: ConfigMap\n")
    assert render.differences(tmp_path) == [
        "not generated: stray.yaml",
        "changed: credit-scoring-retrain-daily-cronworkflow.yaml",
    ]


def test_argo_resources_parse_back_into_sdk_models() -> None:
    kinds = []
    for doc in argo_docs():
        model = ARGO_MODELS[doc["kind"]].model_validate(doc)
        # hera's models ignore unknown fields, so the round trip is what catches a typo'd key.
        back = model.model_dump(by_alias=True, exclude_none=True, mode="json")
        assert back["spec"] == doc["spec"] and back["metadata"]["name"] == doc["metadata"]["name"]
        kinds.append(doc["kind"])
    assert sorted(kinds) == ["CronWorkflow"] * 3 + ["WorkflowTemplate"] * 4


def test_steps_run_drift_check_then_retrain_then_report() -> None:
    docs = {d["metadata"]["name"]: d for d in argo_docs()}
    main = next(t for t in docs[spec.RETRAIN]["spec"]["templates"] if t["name"] == "main")
    order = [group[0]["name"] for group in main["steps"]]
    assert order == ["checkout", "drift-check", "retrain", "push", "report"]
    assert main["steps"][2][0]["when"] == "{{steps.drift-check.exitCode}} == 1"
    new_data = next(t for t in docs[spec.NEW_DATA]["spec"]["templates"] if t["name"] == "main")
    assert [g[0]["name"] for g in new_data["steps"]] == ["checkout", "retrain", "push", "report"]
    snapshot = next(
        p for p in docs[spec.NEW_DATA]["spec"]["arguments"]["parameters"] if p["name"] == "snapshot"
    )
    assert "value" not in snapshot, "the event source must supply the snapshot"
    cron = docs[spec.DAILY]["spec"]
    assert cron["workflowSpec"]["workflowTemplateRef"]["name"] == spec.RETRAIN
    assert cron["concurrencyPolicy"] == "Forbid" and cron["schedules"] == ["0 4 * * *"]


@pytest.mark.parametrize("name", [spec.RETRAIN, spec.NEW_DATA])
def test_every_pod_meets_pod_security_restricted(name: str) -> None:
    doc = next(d for d in argo_docs() if d["metadata"]["name"] == name)
    pod = doc["spec"]["securityContext"]
    assert (
        pod["runAsNonRoot"] is True and isinstance(pod["runAsUser"], int) and pod["runAsUser"] > 0
    )
    assert pod["seccompProfile"]["type"] == "RuntimeDefault"
    assert not doc["spec"].get("hostNetwork") and not doc["spec"].get("hostPID")
    for tpl in pod_templates(doc):
        ctx = tpl["container"]["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False, tpl["name"]
        assert ctx["capabilities"] == {"drop": ["ALL"]}, tpl["name"]
        assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] == pod["runAsUser"], tpl["name"]
        assert ctx["seccompProfile"]["type"] == "RuntimeDefault", tpl["name"]
        assert ctx["readOnlyRootFilesystem"] is True, tpl["name"]
        mounts = {v["mountPath"] for v in tpl["container"]["volumeMounts"]}
        assert {"/tmp", spec.WORK} <= mounts, f"{tpl['name']}: no writable scratch"
        for volume in tpl.get("volumes", []):
            assert set(volume) - {"name"} <= RESTRICTED_VOLUMES, volume
    assert len(pod_templates(doc)) >= 3


def test_secrets_come_only_from_named_kubernetes_secrets() -> None:
    used: set[str] = set()
    for doc in argo_docs():
        for tpl in pod_templates(doc):
            c = tpl["container"]
            for var in c.get("env", []):
                if "valueFrom" in var:
                    used.add(var["valueFrom"]["secretKeyRef"]["name"])
                else:
                    assert not SENSITIVE.search(var["name"]), f"{var['name']} set as a literal"
            used |= {e["secretRef"]["name"] for e in c.get("envFrom", [])}
            secret_env = {v["name"] for v in c["env"] if "valueFrom" in v}
            if tpl["name"] == "drift-check":  # least privilege: the bucket's keys only
                assert c["envFrom"] == [{"secretRef": {"name": spec.DVC_SECRET}}]
                assert not secret_env
            if tpl["name"] == "report":  # the forge token, for the attention issue only
                assert "envFrom" not in c and secret_env == {"GITHUB_TOKEN"}
            assert c["image"] == spec.TRAINER_IMAGE
    assert used == SECRET_NAMES


def test_plain_resources_validate_against_kubernetes_schemas() -> None:
    skip = ("argoproj.io/", "external-secrets.io/", "kustomize.config.k8s.io/")
    plain = [
        d for d in committed().values() if not d.get("apiVersion", "kustomize").startswith(skip)
    ]
    plain = [d for d in plain if "apiVersion" in d]  # kustomizeconfig.yaml is not a resource
    kinds = {"Namespace", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy"}
    assert {d["kind"] for d in plain} == kinds
    for doc in plain:
        kubernetes_validate.validate(doc, "1.32", strict=True)
    ns = committed()[f"{spec.NAMESPACE}-namespace.yaml"]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
