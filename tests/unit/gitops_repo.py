"""A small real git repo shaped like ours: k8s/, dvc.lock pinning a model, data.dvc."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL_BYTES = b"not really onnx, but content-addressed all the same\n"
META_BYTES = b'{"threshold": 0.5}\n'  # model.json: the model digest covers it too


def git(cwd: Path, *args: str) -> str:
    """Run git, fail loudly."""
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def make_repo(path: Path, with_model_entry: bool = True) -> Path:
    """Init a repo whose HEAD pins models/model.onnx (present, git-ignored) in dvc.lock."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "k8s", path / "k8s", ignore=shutil.ignore_patterns("workflows"))
    md5 = hashlib.md5(MODEL_BYTES, usedforsecurity=False).hexdigest()
    outs = (
        f"    - path: models/model.onnx\n      hash: md5\n      md5: {md5}\n"
        if with_model_entry
        else ""
    )
    meta_md5 = hashlib.md5(META_BYTES, usedforsecurity=False).hexdigest()
    (path / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  train:\n    cmd: python -m model.pipeline.train\n    outs:\n"
        f"{outs}    - path: models/model.json\n      hash: md5\n      md5: {meta_md5}\n"
    )
    (path / "data.dvc").write_text(f"outs:\n- md5: {'1' * 32}.dir\n  path: data\n")
    (path / "reports").mkdir()
    (path / "reports/metrics.json").write_text('{"roc_auc": 0.83, "f1": 0.58, "n_test": 890}\n')
    (path / ".gitignore").write_text("/models/\n/.state/\n")
    (path / "models").mkdir()
    (path / "models/model.onnx").write_bytes(MODEL_BYTES)
    (path / "models/model.json").write_bytes(META_BYTES)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "pipeline output")
    return path


def model_sha256() -> str:
    """The digest of the synthetic model (model.json + model.onnx)."""
    from model.core.artifact import bundle_sha256

    return bundle_sha256({"model.json": META_BYTES, "model.onnx": MODEL_BYTES})


def with_origin(work: Path, bare: Path) -> None:
    """Create a bare origin from `work` and set it as its upstream."""
    git(work.parent, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    git(work, "fetch", "-q", "origin")
    git(work, "branch", "-q", "--set-upstream-to=origin/main", "main")
