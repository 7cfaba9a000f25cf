"""`make release-model` pulls the model dvc.lock pins, from S3 (release.yaml's default) or a dir.

The S3 remote is the project's own `s3` remote from .dvc/config, pointed (--local) at moto's
S3 server on 127.0.0.1; before dvc-s3 was in the environment this failed with
"No module named 'dvc_s3'". The project is a small DVC repo with the real Makefile, mk/ and
.dvc/config, and a `train` stage whose outputs are pinned bytes (no training needed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, run
from tests.moto_s3 import CREDENTIALS, serve_s3

pytestmark = pytest.mark.e2e
OUTS = {"models/model.onnx": b"onnx bytes\n", "models/model.json": b"{}\n"}
AWS = {**CREDENTIALS, "MODEL_ENV_READY": "1"}  # the test venv is the project's environment


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 API on 127.0.0.1 with the bucket the project's s3 remote names."""
    with serve_s3() as url:
        yield url


def _project(path: Path) -> Path:
    """A git+DVC repo with the real Makefile and .dvc/config; `train` outputs committed."""
    path.mkdir(parents=True)
    for rel in ("Makefile", "mk", ".dvc/config"):
        src, dest = ROOT / rel, path / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest)
    outs = "".join(f"      - {p}\n" for p in OUTS)
    (path / "dvc.yaml").write_text(f"stages:\n  train:\n    cmd: 'true'\n    outs:\n{outs}")
    (path / "models").mkdir()
    for rel, data in OUTS.items():
        (path / rel).write_bytes(data)
    run(["git", "init", "-q", "-b", "main"], path)
    run(["dvc", "commit", "-f", "-q", "train"], path)
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-q", "-m", "pin the model"], path)
    return path


def _fresh_clone(src: Path, dest: Path) -> Path:
    run(["git", "clone", "-q", str(src), str(dest)], dest.parent)
    assert not (dest / "models/model.onnx").exists()
    return dest


def test_release_model_pulls_from_the_s3_remote(s3_endpoint: str, tmp_path: Path) -> None:
    src = _project(tmp_path / "src")
    run(["dvc", "remote", "modify", "--local", "s3", "endpointurl", s3_endpoint], src)
    run(["dvc", "push", "-q", "--remote", "s3", "train"], src, env=AWS)
    ws = _fresh_clone(src, tmp_path / "ws")
    run(["dvc", "remote", "modify", "--local", "s3", "endpointurl", s3_endpoint], ws)
    run(["make", "release-model", "DVC_REMOTE=s3"], ws, env=AWS)
    for rel, data in OUTS.items():
        assert (ws / rel).read_bytes() == data


def test_release_model_pulls_from_the_directory_remote(tmp_path: Path) -> None:
    src = _project(tmp_path / "src")
    run(["dvc", "push", "-q", "--remote", "local", "train"], src)
    assert (tmp_path / "credit-scoring-dvc-remote").is_dir()  # ../../ from the repo's .dvc/
    ws = _fresh_clone(src, tmp_path / "ws")
    run(["make", "release-model"], ws, env={"MODEL_ENV_READY": "1"})
    for rel, data in OUTS.items():
        assert (ws / rel).read_bytes() == data
