"""The retraining workflows build with the real `kubectl kustomize` and pin the trainer image."""

from __future__ import annotations

from model.training import render, spec
from tests.tools import kustomize
from tests.workflow_manifests import OUT, pod_templates


def test_kustomize_builds_and_pins_the_trainer_image() -> None:
    docs = kustomize(OUT)
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
