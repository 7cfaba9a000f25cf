"""Facts about the model a commit pins: dvc.lock's md5s for the served files, their bytes, digest.

The model digest is model.core.artifact.bundle_sha256 over model.json and model.onnx: everything
the server decides with, so an edited threshold or contract is a different model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from model.config import CheckFailed
from model.core.artifact import bundle_sha256
from model.core.dataset import DATA_DVC, DataPinError, md5_of
from model.names import BUNDLE_FILES, MODEL_PATH
from model.proc import show


class FactsError(CheckFailed, ValueError):
    """The commit does not pin a model we can find or trust."""


def pinned_md5(root: Path, rev: str, path: str = MODEL_PATH) -> str:
    """The md5 dvc.lock at `rev` records for `path`; FactsError when there is no such entry."""
    text = show(root, rev, "dvc.lock")
    if text is None:
        raise FactsError(f"dvc.lock is missing at {rev[:12]}: run `dvc repro` and commit dvc.lock")
    lock = yaml.safe_load(text) or {}
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if out.get("path") == path and out.get("md5"):
                return str(out["md5"])
    raise FactsError(
        f"dvc.lock at {rev[:12]} has no entry for {path}: the model was never produced by "
        "`dvc repro` at that commit. Run the pipeline, commit dvc.lock, then promote."
    )


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _cache_path(root: Path, md5: str) -> Path:
    return root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def model_bytes(root: Path, rev: str, path: str = MODEL_PATH) -> bytes:
    """Bytes of the model `rev` pins, from the work tree or DVC cache, else via DVC's remote."""
    md5 = pinned_md5(root, rev, path)
    for candidate in (root / path, _cache_path(root, md5)):
        if candidate.is_file():
            data = candidate.read_bytes()
            if _md5(data) == md5:
                return data
    try:
        import dvc.api

        data = dvc.api.read(path, repo=str(root), rev=rev, mode="rb")
    except Exception as exc:  # DVC raises many types; all mean "not retrievable"
        raise FactsError(
            f"{path} with md5 {md5} (pinned by dvc.lock at {rev[:12]}) is not in the work tree, "
            f"the DVC cache or the DVC remote: {exc}. Run `dvc pull` first."
        ) from exc
    if _md5(data) != md5:
        raise FactsError(f"DVC returned {path} with md5 {_md5(data)}, dvc.lock pins {md5}")
    return data


def model_sha256(root: Path, rev: str, path: str = MODEL_PATH) -> str:
    """Digest of the model dvc.lock pins at `rev`: model.json + model.onnx beside `path`."""
    folder = Path(path).parent
    files = {name: model_bytes(root, rev, (folder / name).as_posix()) for name in BUNDLE_FILES}
    return bundle_sha256(files)


def data_md5(root: Path, rev: str) -> str:
    """The md5 data.dvc pins at `rev` ('unknown' without data.dvc)."""
    text = show(root, rev, DATA_DVC)
    try:
        return "unknown" if text is None else md5_of(text, f"{DATA_DVC} at {rev[:12]}")
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


def release_facts(root: Path, rev: str) -> dict[str, str]:
    """What a release build needs to know about the model `rev` pins, by name."""
    sha = model_sha256(root, rev)
    return {
        "model_sha256": sha,
        "model_version": sha[:12],
        "data_md5": data_md5(root, rev),
        "revision": rev,
    }
