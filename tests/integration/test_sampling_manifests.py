"""The rendered overlays ship sampled traffic to the bucket the drift check reads.

Each environment samples to its own prefix with its own writer keys; the keys arrive as an
AWS shared credentials file that the ExternalSecret templates and the Deployment mounts (never
as env: checkov CKV_K8S_35), and the server's S3 client reads; egress allows DNS and HTTPS.
"""

from __future__ import annotations

import configparser
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from model.s3client import CredentialsFile
from model.training.spec import SAMPLES_URI
from tests.integration.test_gitops_pod_security import ENVS, ROOT, render

pytestmark = pytest.mark.integration


def _one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    return found


def _server(docs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    pod = _one(docs, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return pod, container


@pytest.mark.parametrize("env", ENVS)
def test_each_environment_samples_to_its_own_prefix(env: str) -> None:
    _, container = _server(render(env))
    values = {e["name"]: e.get("value") for e in container["env"]}
    assert 0 < float(values["MODEL_SAMPLE_RATE"]) <= 1
    assert values["MODEL_SAMPLE_DIR"] == f"s3://credit-scoring-samples/{env}"
    if env == "prod":  # the daily drift check reads what prod's servers write
        assert values["MODEL_SAMPLE_DIR"] == SAMPLES_URI
    assert not any("valueFrom" in e for e in container["env"]), "secrets as files, not env"
    assert "envFrom" not in container


@pytest.mark.parametrize("env", ENVS)
def test_the_keys_file_the_server_reads_is_the_one_the_externalsecret_writes(
    env: str, tmp_path: Path
) -> None:
    docs = render(env)
    pod, container = _server(docs)
    path = PurePosixPath({e["name"]: e.get("value") for e in container["env"]}[
        "AWS_SHARED_CREDENTIALS_FILE"])  # fmt: skip
    (mount,) = [
        m for m in container["volumeMounts"] if path.parent == PurePosixPath(m["mountPath"])
    ]
    assert mount.get("readOnly") is True
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    secret = _one(docs, "ExternalSecret", volume["secret"]["secretName"])
    assert secret["spec"]["target"]["name"] == volume["secret"]["secretName"]
    template = secret["spec"]["target"]["template"]["data"][path.name]
    # Fill the template as the operator would, then read it with the server's own reader.
    refs = {d["secretKey"]: d["remoteRef"] for d in secret["spec"]["data"]}
    assert {r["key"] for r in refs.values()} == {f"credit-scoring/{env}/samples"}
    filled = re.sub(r"\{\{ \.(\w+) \}\}", lambda m: f"value-of-{m[1]}", template)
    (tmp_path / "credentials").write_text(filled)
    read = CredentialsFile(tmp_path / "credentials").current()
    assert (read.access_key, read.secret_key) == ("value-of-access_key_id",
                                                  "value-of-secret_access_key")  # fmt: skip
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} == {r["property"] for r in refs.values()}
    assert configparser.ConfigParser().read_string(filled) is None  # plain ini


def test_the_environments_use_different_writer_keys() -> None:
    keys = {
        env: {d["remoteRef"]["key"] for d in _one(render(env), "ExternalSecret")["spec"]["data"]}
        for env in ENVS
    }
    assert keys["staging"].isdisjoint(keys["prod"])


@pytest.mark.parametrize("env", ENVS)
def test_egress_allows_dns_and_https_to_the_bucket_and_nothing_else(env: str) -> None:
    docs = render(env)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny and "Egress" in deny[0]["spec"]["policyTypes"] and not deny[0]["spec"].get("egress")
    egress = [
        rule
        for p in policies
        if "Egress" in p["spec"]["policyTypes"]
        and p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component")
        == "server"
        for rule in p["spec"].get("egress", [])
    ]
    ports = {(port["protocol"], port["port"]) for rule in egress for port in rule["ports"]}
    assert ports == {("UDP", 53), ("TCP", 53), ("TCP", 443)}
    (https,) = [r for r in egress if {p["port"] for p in r["ports"]} == {443}]
    (block,) = [t["ipBlock"] for t in https["to"]]
    assert block["cidr"] == "0.0.0.0/0"
    metadata = ipaddress.ip_address("169.254.169.254")
    assert any(metadata in ipaddress.ip_network(c) for c in block["except"])
    (dns,) = [r for r in egress if r is not https]
    assert [t["namespaceSelector"]["matchLabels"] for t in dns["to"]] == [
        {"kubernetes.io/metadata.name": "kube-system"}
    ]


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (ROOT / "scripts/node_modules/@kubernetes-models").is_dir():
        pytest.skip("node or scripts/node_modules missing (npm ci --prefix scripts)")
    return node


@pytest.mark.parametrize("env", ENVS)
def test_the_externalsecret_matches_the_crd_schema(env: str, tmp_path: Path) -> None:
    node = _node()
    rendered = tmp_path / f"{env}.yaml"
    rendered.write_text(
        subprocess.run(
            ["kubectl", "kustomize", str(ROOT / "k8s/overlays" / env)],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    # The same validator as the workflows' ExternalSecrets (@kubernetes-models/external-secrets).
    ok = subprocess.run([node, "scripts/validate-workflows.mjs", str(rendered)], cwd=ROOT,
                        capture_output=True, text=True)  # fmt: skip
    summary = "1 Argo Workflows / External Secrets object(s) checked, 0 invalid"
    assert ok.returncode == 0 and summary in ok.stdout, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(rendered.read_text().replace("engineVersion: v2", "engineVersion: v9"))
    bad = subprocess.run([node, "scripts/validate-workflows.mjs", str(broken)], cwd=ROOT,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 1 and "engineVersion" in bad.stderr
