"""What the CI namespace needs around the workflows: its NetworkPolicy and its ExternalSecrets.

Plain data, rendered by render.py into k8s/workflows/ next to the WorkflowTemplates.
"""

from __future__ import annotations

from typing import Any

from model.training import spec

# Where the secret store keeps each Secret's values (the operator's naming, one prefix).
REMOTE_PREFIX = "credit-scoring/ci"
REFRESH = "1h"

# What the CI namespace's NetworkPolicy lets a step reach (render.py): DNS, HTTPS (the forge,
# S3 and a hosted MLflow), the Kubernetes API (Argo's wait container reports results), and an
# in-cluster MLflow on its default port.
DNS_NAMESPACE = "kube-system"
MLFLOW_NAMESPACE, MLFLOW_PORT = "mlflow", 5000
API_SERVER_PORT = 6443
EGRESS_PORTS = [
    ("UDP", 53),
    ("TCP", 53),
    ("TCP", 443),
    ("TCP", API_SERVER_PORT),
    ("TCP", MLFLOW_PORT),
]
# The cloud metadata endpoint hands out node credentials; HTTPS anywhere else is the forge,
# S3 and a hosted MLflow, whose addresses are not fixed enough to list.
METADATA_CIDR = "169.254.0.0/16"


def _ports(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"protocol": proto, "port": port} for proto, port in pairs]


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def network_policy() -> dict[str, Any]:
    """Default deny for every pod in the namespace; egress only to what the steps use."""
    anywhere = {"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_CIDR]}}
    egress = [
        {"to": [_namespace(DNS_NAMESPACE)], "ports": _ports(("UDP", 53), ("TCP", 53))},
        {"to": [anywhere], "ports": _ports(("TCP", 443), ("TCP", API_SERVER_PORT))},
        {"to": [_namespace(MLFLOW_NAMESPACE)], "ports": _ports(("TCP", MLFLOW_PORT))},
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": spec.NAMESPACE, "labels": spec.LABELS},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": egress},
    }


def _external_secret(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "labels": spec.LABELS},
        "spec": {
            "refreshInterval": REFRESH,
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": spec.SECRET_STORE},
            # Owner: the Secret is the operator's copy of the store, deleted with this object.
            "target": {"name": name, "creationPolicy": "Owner"},
            **body,
        },
    }


def _keys(name: str, *keys: str) -> dict[str, Any]:
    remote = f"{REMOTE_PREFIX}/{name.removeprefix('credit-scoring-')}"
    return {"data": [{"secretKey": k, "remoteRef": {"key": remote, "property": k}} for k in keys]}


def external_secrets() -> dict[str, dict[str, Any]]:
    """The three Secrets the steps read, as ExternalSecrets, by file name."""
    dvc_remote = f"{REMOTE_PREFIX}/{spec.DVC_SECRET.removeprefix('credit-scoring-')}"
    bodies = {
        spec.GIT_SECRET: _keys(spec.GIT_SECRET, "token"),
        # every property (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, …) becomes an env var
        spec.DVC_SECRET: {"dataFrom": [{"extract": {"key": dvc_remote}}]},
        spec.MLFLOW_SECRET: _keys(spec.MLFLOW_SECRET, "uri", "token"),
    }
    return {f"{n}-externalsecret.yaml": _external_secret(n, b) for n, b in bodies.items()}
