"""e2e-kind's fake ClusterSecretStore: valid for the operator, and it serves every key the
overlays' ExternalSecrets ask for (else the staging Application never becomes Healthy)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.test_gitops_pod_security import ENVS, ROOT, render
from tests.integration.test_sampling_manifests import _node

pytestmark = pytest.mark.integration
STORE = ROOT / "k8s/kind/credit-scoring-clustersecretstore.yaml"


def _store() -> dict:
    return yaml.safe_load(STORE.read_text())


def test_the_store_matches_the_crd_schema(tmp_path: Path) -> None:
    node = _node()
    # validate-crds.mjs: types and patterns, and the unknown fields validate() lets through
    ok = subprocess.run([node, "scripts/validate-crds.mjs", str(STORE)], cwd=ROOT,
                        capture_output=True, text=True)  # fmt: skip
    assert ok.returncode == 0 and "1 operator object(s) checked, 0 invalid" in ok.stdout, ok.stderr
    broken = tmp_path / "store.yaml"
    broken.write_text(STORE.read_text().replace("    fake:", "    faker:"))
    bad = subprocess.run([node, "scripts/validate-crds.mjs", str(broken)], cwd=ROOT,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 1 and "spec.provider.faker" in bad.stderr, bad.stdout


@pytest.mark.parametrize("env", ENVS)
def test_the_store_serves_every_key_the_overlay_asks_for(env: str) -> None:
    served = {
        d["key"]: json.loads(d["value"]) for d in _store()["spec"]["provider"]["fake"]["data"]
    }
    asked = [
        (ref["key"], ref.get("property"))
        for doc in render(env)
        if doc["kind"] == "ExternalSecret"
        for ref in (item["remoteRef"] for item in doc["spec"]["data"])
    ]
    assert asked, f"{env}: no ExternalSecret rendered"
    missing = [(k, p) for k, p in asked if k not in served or (p and p not in served[k])]
    assert not missing, f"{env}: the kind store lacks {missing}"
    names = {doc["spec"]["secretStoreRef"]["name"] for doc in render(env)
             if doc["kind"] == "ExternalSecret"}  # fmt: skip
    assert names == {_store()["metadata"]["name"]}
