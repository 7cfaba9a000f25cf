"""Configuration: every environment variable the project reads, and params.yaml loading.

Values are read inside functions (never at import) so tests can set them per call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

MLFLOW_TRACKING_URI = "MLFLOW_TRACKING_URI"
"""A team's tracking server; unset means the embedded loopback server (see `model tracking`)."""

MODEL_TRACKING = "MODEL_TRACKING"
"""Set to 0 to skip MLflow logging (used by the tracking-overhead benchmark)."""

MODEL_STATE_DIR = "MODEL_STATE_DIR"
"""Local state (default .state): the embedded MLflow server's files and last_run.json."""

MODEL_DIR = "MODEL_DIR"
"""Directory the server loads the model from."""

MODEL_SHA256 = "MODEL_SHA256"
"""Digest pinned at deploy time; the server refuses a model whose bytes differ."""

MODEL_SHA256_FILE = "MODEL_SHA256_FILE"
"""Alternative to MODEL_SHA256: a file holding the digest (e.g. a mounted ConfigMap)."""

MODEL_NAME = "MODEL_NAME"
"""Open Inference Protocol model name."""

MODEL_COMPILED_TREES = "MODEL_COMPILED_TREES"
"""Set to 0 to score one-row requests with ONNX Runtime too (see model/serving/compiled.py)."""

MODEL_MAX_ROWS = "MODEL_MAX_ROWS"
MODEL_MAX_BODY_BYTES = "MODEL_MAX_BODY_BYTES"
MODEL_SAMPLE_RATE = "MODEL_SAMPLE_RATE"
MODEL_SAMPLE_DIR = "MODEL_SAMPLE_DIR"

GITHUB_ACTIONS = "GITHUB_ACTIONS"
GITHUB_ACTOR = "GITHUB_ACTOR"
CI = "CI"
"""Set (true/1) by CI runners and .ci/run; tests read it: under CI a skipped test fails the run."""

ARGO_SERVER_URL = "ARGO_SERVER_URL"
ARGO_TOKEN = "ARGO_TOKEN"

DEFAULT_STATE_DIR = ".state"
DEFAULT_MODEL_NAME = "credit-scoring"


def get(name: str, default: str | None = None) -> str | None:
    """Return the environment variable `name`, or `default` when unset or empty."""
    value = os.environ.get(name, "")
    return value if value else default


def state_dir(root: Path | None = None) -> Path:
    """The local state folder: MODEL_STATE_DIR (relative paths under `root`), default .state."""
    path = Path(get(MODEL_STATE_DIR, DEFAULT_STATE_DIR) or DEFAULT_STATE_DIR)
    return path if root is None or path.is_absolute() else root / path


def last_run_file(root: Path | None = None) -> Path:
    """Where evaluate records the MLflow run that logged the current model."""
    return state_dir(root) / "last_run.json"


def flag(name: str, default: bool = True) -> bool:
    """Read a boolean switch: 0/false/no/off are false, anything else true."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


# Serving (model/serving/): sampling bounds, build info, ONNX threads.
MODEL_SAMPLE_MAX_BYTES = "MODEL_SAMPLE_MAX_BYTES"
"""Bytes per samples-*.jsonl file before rotating (default 4 MiB)."""
MODEL_SAMPLE_MAX_FILES = "MODEL_SAMPLE_MAX_FILES"
"""How many samples-*.jsonl files to keep (default 4); older ones are deleted."""
MODEL_VERSION = "MODEL_VERSION"
"""Served model version; overrides build-info.json (default: first 12 hex of the model sha256)."""
MODEL_GIT_COMMIT = "MODEL_GIT_COMMIT"
"""Git commit the model was built from; overrides build-info.json."""
MODEL_DATA_MD5 = "MODEL_DATA_MD5"
"""data.dvc md5 the model was trained on; overrides build-info.json."""
MODEL_THREADS = "MODEL_THREADS"
"""ONNX Runtime intra-op threads per worker (default 1: single rows are fastest that way)."""

# Serving trust and bounds (model/serving/integrity.py, model/serving/limits.py).
MODEL_REQUIRE_PIN = "MODEL_REQUIRE_PIN"
"""1: serve only with MODEL_SHA256(_FILE) set; off only for local runs (the Deployment sets 1)."""
MODEL_MAX_HEADER_BYTES = "MODEL_MAX_HEADER_BYTES"
"""Bytes of request line + headers before the server answers 431 and closes (default 16 KiB)."""
MODEL_HEADER_TIMEOUT = "MODEL_HEADER_TIMEOUT"
"""Seconds a connection may take to send a request's headers before 408 (default 10)."""
MODEL_BODY_TIMEOUT = "MODEL_BODY_TIMEOUT"
"""Seconds a request may take to send its body after the headers before 408 (default 30)."""
MODEL_MAX_CONNECTIONS = "MODEL_MAX_CONNECTIONS"
"""Open connections (or requests in flight) before new requests get 503 (default 64)."""
MODEL_MAX_BUFFERED_BYTES = "MODEL_MAX_BUFFERED_BYTES"
"""Request-body bytes all connections together may buffer before new bodies get 503 (64 MiB)."""
MODEL_OFFLOAD_ROWS = "MODEL_OFFLOAD_ROWS"
"""Rows from which a request is scored on the scoring thread, off the event loop (64; 0: never)."""
MODEL_MEMORY_BUDGET = "MODEL_MEMORY_BUDGET"
"""Repository mode: models resident at once ("100") or their bytes ("300MiB"); LRU evicts."""

# --- GitOps CD (model/gitops) ---
MODEL_REGISTRY = "MODEL_REGISTRY"
"""Set to 0 to skip MLflow alias updates during promotion (benchmarks, offline runs)."""

MLFLOW_TRACKING_TOKEN = "MLFLOW_TRACKING_TOKEN"
"""Bearer token for a team's MLflow server (read by the registry REST calls)."""

GITHUB_TOKEN = "GITHUB_TOKEN"
GITHUB_REPOSITORY = "GITHUB_REPOSITORY"
GITHUB_API_URL = "GITHUB_API_URL"

MODEL_PUSH_ATTEMPTS = "MODEL_PUSH_ATTEMPTS"
"""How many fetch-rebase-push rounds a promotion tries before giving up (default 30)."""

KUBECONFIG = "KUBECONFIG"

# --- Continuous training (model/training/) ---
MODEL_DVC_REMOTE = "MODEL_DVC_REMOTE"
"""DVC remote `model retrain` uses (set as the clone's local default); unset: the repo default."""
GIT_TOKEN = "GIT_TOKEN"
"""Push token for the retrain pod; only git's env-configured credential helper reads it."""
ORT_DISABLE_TELEMETRY = "ORT_DISABLE_TELEMETRY"
"""ONNX Runtime's switch for its 1DS telemetry; the server sets it to 1 before loading ORT."""
MLFLOW_DISABLE_TELEMETRY = "MLFLOW_DISABLE_TELEMETRY"
"""MLflow 3's usage-telemetry switch; training runs and the tracking server set it to true
(unless it is set) before MLflow starts: MLflow turns it off by itself only under CI."""

# --- Signed promotions (model/gitops/signing.py) ---
GNUPGHOME = "GNUPGHOME"
"""gpg's home; verification points it at a temp keyring holding only .gitops/promoters keys."""
PROMOTION_GPG_KEY = "PROMOTION_GPG_KEY"
"""CI secret: the release identity's ASCII-armored secret key (`make git-signing-key`)."""


# --- Errors: each domain's base error carries its exit code; `model.cli.app` maps them once ---
class ModelError(Exception):
    """A failure the CLI reports to a person; `exit_code` is what the process exits with."""

    exit_code = 1


class CheckFailed(ModelError):
    """A check ran and said no (gate, verification, lock, audit): exit 1."""

    exit_code = 1


class UsageError(ModelError):
    """Bad arguments, files or input from the caller: exit 2."""

    exit_code = 2


# --- params.yaml: one section per stage ---
PARAMS_FILE = Path("params.yaml")


class ParamsError(UsageError, ValueError):
    """params.yaml is missing, malformed, or lacks a section."""


def load_params(section: str, path: Path = PARAMS_FILE) -> dict[str, Any]:
    """Return the `section` mapping of a params file, failing with a clear message."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ParamsError(f"{path} not found; run from the repository root") from exc
    if not isinstance(data, dict) or not isinstance(data.get(section), dict):
        raise ParamsError(f"{path} has no mapping section '{section}'")
    return data[section]


def set_param(key: str, value: Any, path: Path = PARAMS_FILE) -> Any:
    """Set dotted `key` (e.g. train.n_estimators) in a params file, keeping comments and order.

    Returns the old value; ParamsError when the key is not already there (a typo stays loud).
    """
    from ruamel.yaml import YAML

    yaml_rt = YAML()  # round-trip: comments, key order and quoting survive the edit
    data = yaml_rt.load(path.read_text())
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        raise ParamsError(f"{path} has no `{key}` to change")
    old, node[leaf] = node[leaf], value
    with path.open("w") as fh:
        yaml_rt.dump(data, fh)
    return old
