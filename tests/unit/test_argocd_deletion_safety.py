"""Deleting an Argo CD object or a file from Git must not delete prod or its namespaces."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

APPSET = ROOT / "argocd" / "projects" / "credit-scoring-applicationset.yaml"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"


def namespaces() -> dict[Path, dict]:
    """Every Namespace object declared under k8s/ (overlays and generated workflows)."""
    found = {}
    for path in sorted((ROOT / "k8s").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "Namespace":
                found[path.relative_to(ROOT)] = doc
    return found


def test_deleting_the_applicationset_keeps_what_it_deployed() -> None:
    appset = yaml.safe_load(APPSET.read_text())
    assert appset["spec"].get("syncPolicy", {}).get("preserveResourcesOnDeletion") is True


def test_namespaces_are_never_deleted_or_pruned_by_argo_cd() -> None:
    found = namespaces()
    names = {doc["metadata"]["name"] for doc in found.values()}
    assert {"credit-scoring-staging", "credit-scoring-prod", "credit-scoring-ci"} <= names
    for path, doc in found.items():
        options = doc["metadata"].get("annotations", {}).get(SYNC_OPTIONS, "")
        parsed = {o.strip() for o in options.split(",")}
        assert {"Delete=false", "Prune=false"} <= parsed, f"{path}: {SYNC_OPTIONS}={options!r}"
