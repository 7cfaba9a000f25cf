"""The retraining workflows build with the real `kubectl kustomize` and pin the trainer image."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import yaml
from hera.workflows import models as m

from model.training import render, spec
from tests.conftest import ROOT
from tests.tools import require

OUT = ROOT / "k8s" / "workflows"
ARGO_MODELS = {"WorkflowTemplate": m.WorkflowTemplate, "CronWorkflow": m.CronWorkflow}
SECRET_NAMES = {spec.GIT_SECRET, spec.DVC_SECRET, spec.MLFLOW_SECRET}
SENSITIVE = re.compile(r"TOKEN|PASSWORD|SECRET|ACCESS_KEY|CREDENTIAL", re.I)
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def committed() -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(OUT.glob("*.yaml"))}


def argo_docs() -> list[dict[str, Any]]:
    return [d for d in committed().values() if d.get("kind") in ARGO_MODELS]


def pod_templates(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in doc["spec"].get("templates", []) if "container" in t]


def test_kustomize_builds_and_pins_the_trainer_image() -> None:
    kubectl = require("kubectl")
    out = subprocess.run(
        [kubectl, "kustomize", str(OUT)], capture_output=True, text=True, check=True
    ).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    images = {
        t["container"]["image"]
        for d in docs
        if d["kind"] == "WorkflowTemplate"
        for t in pod_templates(d)
    }
    # the digest the committed kustomization carries (the release writes it), never a tag
    assert images == {f"{render.TRAINER_REGISTRY}@{render.pinned_digest(OUT)}"}
    assert all(
        d["metadata"].get("namespace") == spec.NAMESPACE for d in docs if d["kind"] != "Namespace"
    )
