"""Facts about the model a commit pins: dvc.lock's md5s for the served files, their bytes, digest.

The model digest is model.core.artifact.bundle_sha256 over model.json and model.onnx: everything
the server decides with, so an edited threshold or contract is a different model.

`project` is the DVC project a model's pipeline lives in, relative to the repository root: "."
for the root model, fleet/<name> for a fleet model (model.fleet.layout.project_folder). Paths
inside a project (models/model.onnx, data.dvc) are relative to it, as in its dvc.lock; the
DVC cache is the root's for every project (each fleet project's .dvc/config says so).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from pathlib import Path

import yaml

from model.config import CheckFailed
from model.core.artifact import bundle_sha256
from model.core.dataset import DATA_DVC, DataPinError, md5_of
from model.names import BUNDLE_FILES, MODEL_PATH
from model.proc import show


class FactsError(CheckFailed, ValueError):
    """The commit does not pin a model we can find or trust."""


def in_project(project: str, path: str) -> str:
    """The repository-relative path of `path` inside the DVC project `project` ("." = root)."""
    return posixpath.normpath(posixpath.join(project, path))


def pinned_md5(root: Path, rev: str, path: str = MODEL_PATH, project: str = ".") -> str:
    """The md5 the project's dvc.lock at `rev` records for `path`; FactsError when it has none."""
    lock_path = in_project(project, "dvc.lock")
    text = show(root, rev, lock_path)
    if text is None:
        raise FactsError(
            f"{lock_path} is missing at {rev[:12]}: run `dvc repro` and commit {lock_path}"
        )
    lock = yaml.safe_load(text) or {}
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if out.get("path") == path and out.get("md5"):
                return str(out["md5"])
    raise FactsError(
        f"{lock_path} at {rev[:12]} has no entry for {path}: the model was never produced by "
        f"`dvc repro` at that commit. Run the pipeline, commit {lock_path}, then promote."
    )


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _cache_path(root: Path, md5: str) -> Path:
    return root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def model_bytes(root: Path, rev: str, path: str = MODEL_PATH, project: str = ".") -> bytes:
    """Bytes of the model `rev` pins, from the work tree or DVC cache, else via DVC's remote."""
    md5 = pinned_md5(root, rev, path, project)
    for candidate in (root / in_project(project, path), _cache_path(root, md5)):
        if candidate.is_file():
            data = candidate.read_bytes()
            if _md5(data) == md5:
                return data
    where = f"{in_project(project, path)} with md5 {md5} (pinned by "
    where += f"{in_project(project, 'dvc.lock')} at {rev[:12]})"
    if project != ".":
        # dvc.api opens a sub-project at a git revision as the root project (it returned the
        # root's models/model.onnx here), so a fleet model's bytes come from `dvc pull` only.
        raise FactsError(
            f"{where} is not in the work tree or the DVC cache: run `dvc pull` in {project} first"
        )
    try:
        import dvc.api

        data = dvc.api.read(path, repo=str(root), rev=rev, mode="rb")
    except Exception as exc:  # DVC raises many types; all mean "not retrievable"
        raise FactsError(
            f"{where} is not in the work tree, the DVC cache or the DVC remote: {exc}. "
            "Run `dvc pull` first."
        ) from exc
    if _md5(data) != md5:
        raise FactsError(f"DVC returned {path} with md5 {_md5(data)}, dvc.lock pins {md5}")
    return data


def model_sha256(root: Path, rev: str, path: str = MODEL_PATH, project: str = ".") -> str:
    """Digest of the model the project's dvc.lock pins at `rev`: model.json + model.onnx."""
    folder = posixpath.dirname(path)
    files = {
        name: model_bytes(root, rev, posixpath.join(folder, name), project) for name in BUNDLE_FILES
    }
    return bundle_sha256(files)


def data_md5(root: Path, rev: str, project: str = ".") -> str:
    """The md5 the project's data.dvc pins at `rev` ('unknown' without data.dvc)."""
    where = in_project(project, DATA_DVC)
    text = show(root, rev, where)
    try:
        return "unknown" if text is None else md5_of(text, f"{where} at {rev[:12]}")
    except DataPinError:
        return "unknown"


def metrics(root: Path, rev: str) -> dict[str, float]:
    """reports/metrics.json at `rev` (committed by the pipeline), numbers only."""
    text = show(root, rev, "reports/metrics.json")
    if text is None:
        return {}
    return {k: v for k, v in json.loads(text).items() if isinstance(v, int | float)}


def mlflow_run(root: Path, sha256: str) -> str:
    """The MLflow run id from last_run.json when it logged this model, else 'none'."""
    from model.tracking.runs import last_run_id

    return last_run_id(root, sha256) or "none"


def release_facts(root: Path, rev: str, project: str = ".") -> dict[str, str]:
    """What a release build needs to know about the model `rev` pins, by name."""
    sha = model_sha256(root, rev, project=project)
    return {
        "model_sha256": sha,
        "model_version": sha[:12],
        "data_md5": data_md5(root, rev, project),
        "revision": rev,
    }
