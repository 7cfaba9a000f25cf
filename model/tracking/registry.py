"""MLflow model registry: versions, aliases and tags, over MLflow's REST API.

`import mlflow` costs seconds and CI never trains, so everything here is REST (urllib): a
release registers its model from its own facts (sha256, data md5, image, commit) and links
the MLflow run only when one logged that model.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from model import config
from model.config import CheckFailed
from model.names import MODEL_PATH, REGISTERED_MODEL

API = "/api/2.0/mlflow"
TIMEOUT_S = 5.0
PAGE_SIZE = 1000  # the most MLflow returns per search page for registered models/experiments
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class RegistryError(CheckFailed):
    """The tracking server answered with an error or could not be reached."""


class RegistryConfigError(RegistryError):
    """A configured value (tracking URI, run id) is unusable: nothing was sent."""

    exit_code = 2  # a usage error, though a RegistryError for callers that catch those


def _redact(uri: str) -> str:
    """The URI without user:password, so an error never prints a credential."""
    parts = urllib.parse.urlsplit(uri)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _alive(uri: str) -> str | None:
    """None when `uri`/health answers, else why not."""
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2.0):
            return None
    except (OSError, ValueError) as exc:
        return str(getattr(exc, "reason", exc))


def tracking_uri() -> str | None:
    """The server to read from, or None (MODEL_REGISTRY=0, nothing set, or not reachable)."""
    if not config.flag(config.MODEL_REGISTRY, default=True):
        return None
    from model.tracking.runs import tracking_uri as configured

    uri = configured()
    if not uri or not uri.startswith(("http://", "https://")):
        return None
    return uri.rstrip("/") if _alive(uri.rstrip("/")) is None else None


def configured_uri() -> str | None:
    """The server to write to; None only when tracking is off or not configured at all.

    A configured MLFLOW_TRACKING_URI that is not http(s) or does not answer is an error: a
    release must not "succeed" with no registry entry because a server was down.
    """
    if not config.flag(config.MODEL_REGISTRY, default=True):
        return None
    explicit = config.get(config.MLFLOW_TRACKING_URI)
    if explicit is None:
        from model.tracking.server import running_uri

        return running_uri()  # the embedded loopback server, when it is up
    parts = urllib.parse.urlsplit(explicit)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryConfigError(
            f"MLFLOW_TRACKING_URI must be the http(s):// URL of a tracking server; "
            f"found {_redact(explicit)!r}"
        )
    uri = explicit.rstrip("/")
    why = _alive(uri)
    if why is not None:
        raise RegistryError(
            f"MLFLOW_TRACKING_URI={_redact(uri)} is not reachable ({why}): start the server or "
            "fix the URI; unset it or set MODEL_REGISTRY=0 only to skip the registry on purpose"
        )
    return uri


def _call(uri: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    url = f"{uri}{API}/{path}"
    data = None
    if method == "GET" and body:
        url += "?" + urllib.parse.urlencode(body)
    elif body is not None:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    token = config.get(config.MLFLOW_TRACKING_TOKEN)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise RegistryError(f"MLflow {method} {path}: {exc.code} {exc.read()[:300]!r}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RegistryError(f"MLflow {method} {path} at {_redact(uri)} failed: {reason}") from None


def _tags(version: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in version.get("tags", [])}


def _all_pages(
    uri: str, method: str, path: str, body: dict[str, Any], key: str
) -> Iterator[dict[str, Any]]:
    """Every item under `key` of a search, following next_page_token to the last page."""
    # MLflow caps a page (1,000 here); stopping at the first one hides older entries.
    token = None
    while True:
        page = _call(uri, method, path, {**body, **({"page_token": token} if token else {})})
        yield from page.get(key, [])
        token = page.get("next_page_token")
        if not token:
            return


def find_version(uri: str, sha256: str, name: str = REGISTERED_MODEL) -> dict[str, Any] | None:
    """The newest registered version tagged with this model sha256, or None."""
    body = {"filter": f"name='{name}'", "max_results": PAGE_SIZE}
    try:
        versions = [
            v
            for v in _all_pages(uri, "GET", "model-versions/search", body, "model_versions")
            if _tags(v).get("model_sha256") == sha256
        ]
    except RegistryError:
        return None
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


def sync_alias(alias: str, sha256: str, tags: dict[str, str], name: str = REGISTERED_MODEL) -> str:
    """Point `alias` of model `name` at the version holding this model and tag it; say what
    happened, plainly."""
    uri = configured_uri()
    if uri is None:
        return (
            "MLflow alias skipped: no tracking server configured "
            "(set MLFLOW_TRACKING_URI or run `model tracking up`)"
        )
    version = find_version(uri, sha256, name)
    if version is None:
        again = "model register" if name == REGISTERED_MODEL else f"model register --model {name}"
        return (
            f"MLflow alias skipped: no registered {name} version has model_sha256={sha256[:12]} "
            f"(run `{again}`)"
        )
    set_alias(uri, alias, version["version"], name)
    tag_version(uri, version["version"], tags, name)
    return f"MLflow alias {alias} -> {name} v{version['version']} ({uri})"


def find_run(uri: str, sha256: str, root: Path) -> str | None:
    """Run that logged this model: last_run.json first, else a search by tag model_sha256."""
    from model.tracking.runs import last_run_id

    if run_id := last_run_id(root, sha256):
        return run_id
    search = {"max_results": PAGE_SIZE}
    experiments = list(_all_pages(uri, "POST", "experiments/search", search, "experiments"))
    if not experiments:
        return None
    body = {
        "experiment_ids": [e["experiment_id"] for e in experiments],
        "filter": f"tags.model_sha256 = '{sha256}'",
        "max_results": 1,
    }
    runs = _call(uri, "POST", "runs/search", body).get("runs", [])
    return str(runs[0]["info"]["run_id"]) if runs else None


def recorded_run(sha256: str) -> str:
    """The MLflow run the registry links to this model ('none' without one or without a server)."""
    uri = tracking_uri()
    version = find_version(uri, sha256) if uri else None
    if version is None:
        return "none"
    return version.get("run_id") or _tags(version).get("mlflow_run") or "none"


def source_of(image: str | None, commit: str, path: str = MODEL_PATH) -> str:
    """Where the version's bytes live: the image that carries them, else dvc.lock at the commit
    (`path`: the model file, repository-relative)."""
    # The reference goes in the URI's path (empty authority): MLflow refuses a source with no
    # absolute path, and in `docker://credit-scoring@sha256:…` the whole name parses as a host.
    return f"docker:///{image}" if image else f"dvc://{path}?rev={commit}"


def _ensure_model(uri: str, name: str) -> None:
    try:
        _call(uri, "POST", "registered-models/create", {"name": name})
    except RegistryError as exc:
        if "RESOURCE_ALREADY_EXISTS" not in str(exc):
            raise


def register(
    uri: str,
    sha256: str,
    tags: dict[str, str],
    root: Path,
    run_id: str | None = None,
    name: str = REGISTERED_MODEL,
    path: str = MODEL_PATH,
) -> str:
    """Register this model as a version of `name` from the release facts (idempotent), linking
    its run when one exists; `path` is the model file in the repository (the source without
    an image)."""
    if run_id is not None and not _RUN_ID.match(run_id):
        raise RegistryConfigError(f"--run-id must be an MLflow run id; found {run_id!r}")
    existing = find_version(uri, sha256, name)
    if existing is not None:
        tag_version(uri, existing["version"], tags, name)
        return f"already registered: {name} v{existing['version']} (tags updated)"
    run_id = run_id or find_run(uri, sha256, root)
    _ensure_model(uri, name)
    body: dict[str, Any] = {
        "name": name,
        "source": source_of(tags.get("image"), tags.get("git_commit", "unknown"), path),
        "tags": [
            {"key": k, "value": v}
            for k, v in {**tags, "model_sha256": sha256, "mlflow_run": run_id or "none"}.items()
        ],
        "description": "Registered by `model register` from the release's dvc.lock facts.",
    }
    if run_id:
        body["run_id"] = run_id
    version = _call(uri, "POST", "model-versions/create", body)["model_version"]["version"]
    linked = f"run {run_id}" if run_id else "no MLflow run logged this model"
    return f"registered {name} v{version} from release facts ({linked})"
