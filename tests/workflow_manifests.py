"""The committed Argo Workflows manifests, parsed: shared by the unit and integration checks."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hera.workflows import models as m

from model.training import spec
from tests.conftest import ROOT

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
