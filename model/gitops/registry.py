"""MLflow model registry: versions, aliases and tags, over MLflow's REST API.

Promotion and verify only need a few registry calls, and `import mlflow` costs seconds, so
those go through REST (urllib). Registering a version from a run uses the MLflow client.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from model import env
from model.gitops import REGISTERED_MODEL

API = "/api/2.0/mlflow"
TIMEOUT_S = 5.0


class RegistryError(RuntimeError):
    """The tracking server answered with an error."""


def tracking_uri() -> str | None:
    """The tracking server to use, or None (MODEL_REGISTRY=0, nothing set, or not reachable)."""
    if not env.flag(env.MODEL_REGISTRY, default=True):
        return None
    from model.tracking import tracking_uri as configured

    uri = configured()
    if not uri or not uri.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=2.0):
            return uri.rstrip("/")
    except (OSError, ValueError):
        return None


def _call(uri: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    url = f"{uri}{API}/{path}"
    data = None
    if method == "GET" and body:
        url += "?" + urllib.parse.urlencode(body)
    elif body is not None:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    token = env.get(env.MLFLOW_TRACKING_TOKEN)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise RegistryError(f"MLflow {method} {path}: {exc.code} {exc.read()[:300]!r}") from exc


def _tags(version: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in version.get("tags", [])}


def find_version(uri: str, sha256: str, name: str = REGISTERED_MODEL) -> dict[str, Any] | None:
    """The newest registered version tagged with this model sha256, or None."""
    try:
        found = _call(
            uri, "GET", "model-versions/search", {"filter": f"name='{name}'", "max_results": 1000}
        )
    except RegistryError:
        return None
    versions = [
        v for v in found.get("model_versions", []) if _tags(v).get("model_sha256") == sha256
    ]
    return max(versions, key=lambda v: int(v["version"]), default=None)


def set_alias(uri: str, alias: str, version: str, name: str = REGISTERED_MODEL) -> None:
    """Point alias (staging/prod) at version."""
    _call(
        uri, "POST", "registered-models/alias", {"name": name, "alias": alias, "version": version}
    )


def get_alias(uri: str, alias: str, name: str = REGISTERED_MODEL) -> dict[str, Any] | None:
    """The version an alias points at, or None when unset."""
    try:
        return _call(uri, "GET", "registered-models/alias", {"name": name, "alias": alias}).get(
            "model_version"
        )
    except RegistryError:
        return None


def tag_version(uri: str, version: str, tags: dict[str, str], name: str = REGISTERED_MODEL) -> None:
    """Set tags on a model version."""
    for key, value in tags.items():
        _call(
            uri,
            "POST",
            "model-versions/set-tag",
            {"name": name, "version": version, "key": key, "value": value},
        )


def sync_alias(alias: str, sha256: str, tags: dict[str, str]) -> str:
    """Point `alias` at the version holding this model and tag it; return what happened, plainly."""
    uri = tracking_uri()
    if uri is None:
        return (
            "MLflow alias skipped: no reachable tracking server "
            "(set MLFLOW_TRACKING_URI or run `model tracking up`)"
        )
    version = find_version(uri, sha256)
    if version is None:
        return (
            f"MLflow alias skipped: no registered version has model_sha256={sha256[:12]} "
            "(run `model register`)"
        )
    set_alias(uri, alias, version["version"])
    tag_version(uri, version["version"], tags)
    return f"MLflow alias {alias} -> {REGISTERED_MODEL} v{version['version']} ({uri})"


def find_run(uri: str, sha256: str, root: Path) -> str | None:
    """Run that logged this model: .state/last_run.json first, else a search by tag model_sha256."""
    try:
        info = json.loads((root / ".state" / "last_run.json").read_text())
        if info.get("model_sha256") == sha256 and info.get("run_id"):
            return str(info["run_id"])
    except (OSError, ValueError):
        pass
    experiments = _call(uri, "GET", "experiments/search", {"max_results": 1000}).get(
        "experiments", []
    )
    body = {
        "experiment_ids": [e["experiment_id"] for e in experiments],
        "filter": f"tags.model_sha256 = '{sha256}'",
        "max_results": 1,
    }
    runs = _call(uri, "POST", "runs/search", body).get("runs", [])
    return str(runs[0]["info"]["run_id"]) if runs else None


def register(sha256: str, tags: dict[str, str], root: Path, run_id: str | None = None) -> str:
    """Register the model from the run that logged it (idempotent); return a plain report."""
    uri = tracking_uri()
    if uri is None:
        return "MLflow register skipped: no reachable tracking server"
    existing = find_version(uri, sha256)
    if existing is not None:
        tag_version(uri, existing["version"], tags)
        return f"already registered: {REGISTERED_MODEL} v{existing['version']} (tags updated)"
    run_id = run_id or find_run(uri, sha256, root)
    if run_id is None:
        raise RegistryError(
            f"no MLflow run is tagged model_sha256={sha256}: run `dvc repro` with tracking on"
        )
    import mlflow

    mlflow.set_tracking_uri(uri)
    version = mlflow.register_model(
        f"runs:/{run_id}/model", REGISTERED_MODEL, tags={"model_sha256": sha256, **tags}
    )
    return f"registered {REGISTERED_MODEL} v{version.version} from run {run_id}"
