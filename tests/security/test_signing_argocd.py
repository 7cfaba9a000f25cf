"""Issue 11 §2: Argo CD syncs only signed revisions, with the same keys the audit trusts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from model.gitops.signing import FORGE_MERGE_KEY_IDS, PROMOTERS_DIR, fingerprints
from tests.unit.gitops_repo import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.security]


def objects(kind: str) -> dict[str, tuple[Path, dict[str, Any]]]:
    found = {}
    for path in sorted((ROOT / "argocd").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == kind:
                found[doc["metadata"]["name"]] = (path, doc)
    return found


def allowed_key_ids(root: Path) -> set[str]:
    """The forge's merge key plus every key committed in .gitops/promoters/*.asc."""
    ids = set(FORGE_MERGE_KEY_IDS)
    for path in sorted((root / PROMOTERS_DIR).glob("*.asc")):
        ids |= {fpr[-16:] for fpr in fingerprints(path.read_bytes(), str(path))}
    return ids


def test_every_project_requires_the_keys_the_audit_trusts() -> None:
    projects = objects("AppProject")
    assert projects, "no AppProject under argocd/"
    want = allowed_key_ids(ROOT)
    for name, (path, doc) in projects.items():
        keys = {k["keyID"] for k in doc["spec"].get("signatureKeys", [])}
        assert keys == want, f"{path.name}: AppProject {name} signatureKeys {keys} != {want}"


def test_every_application_lives_in_a_project_that_checks_signatures() -> None:
    projects = objects("AppProject")
    apps = [(p, d["spec"]["project"]) for p, d in objects("Application").values()]
    sets = [
        (p, d["spec"]["template"]["spec"]["project"]) for p, d in objects("ApplicationSet").values()
    ]
    for path, project in apps + sets:
        assert project in projects, f"{path.name} uses project {project!r}, which checks nothing"


def test_the_root_apps_project_is_applied_by_hand_not_synced_from_git() -> None:
    _, root_app = objects("Application")["credit-scoring-root"]
    project_path, _ = objects("AppProject")[root_app["spec"]["project"]]
    synced = root_app["spec"]["source"]["path"]
    assert not project_path.is_relative_to(ROOT / synced), (
        f"{project_path} is under {synced}: an unsigned commit could loosen its own rules"
    )
