"""The retraining workflows build with the real `kubectl kustomize` and pin the trainer image."""

from __future__ import annotations

import subprocess

import yaml

from model.training import render, spec
from tests.tools import require
from tests.workflow_manifests import (
    OUT,
    pod_templates,
)


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
    assert images == {"@".join(render.pinned_image(OUT))}
    assert all(
        d["metadata"].get("namespace") == spec.NAMESPACE for d in docs if d["kind"] != "Namespace"
    )
