"""`make release-model`: the model dvc.lock pins, from S3 (release.yaml's default) or a dir,
else rebuilt, checked against dvc.lock and pushed (the last two tests: the real pipeline).

The S3 remote is the project's own `s3` remote from .dvc/config, pointed (--local) at moto's
S3 server on 127.0.0.1; before dvc-s3 was in the environment this failed with
"No module named 'dvc_s3'". The project is a small DVC repo with the real Makefile, mk/ and
.dvc/config, and a `train` stage whose outputs are pinned bytes (no training needed).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, clone, run
from tests.moto_s3 import CREDENTIALS, serve_s3
from tests.pr_edits import NO_TRACKING

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


def _outs_md5(ws: Path) -> dict[str, str]:
    """path -> md5 of the train outputs in `ws`'s dvc.lock."""
    lock = yaml.safe_load((ws / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for out in lock["stages"]["train"]["outs"]}


def _in_remote(remote: Path, md5: str) -> bool:
    return (remote / "files" / "md5" / md5[:2] / md5[2:]).is_file()


@pytest.fixture(scope="module")
def merged(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(bare origin, DVC remote): main pins a model nobody pushed; the remote holds the data."""
    base = tmp_path_factory.mktemp("release-unpushed")
    remote = base / "remote"
    seed = clone(origin, base / "seed", remote)
    # The origin snapshot is a shared work tree; its lock may trail a code edit in progress.
    run(["model", "data", "pull"], seed, env=NO_TRACKING)  # pushes the data, as PR jobs do
    run(["dvc", "repro", "--quiet", "train"], seed, env=NO_TRACKING)
    run(["git", "commit", "-q", "--allow-empty", "-m", "merge: lock for this code", "dvc.lock"],
        seed)  # fmt: skip
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(seed), str(bare)], base)
    return bare, remote


@pytest.fixture
def unpushed(merged: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """(fresh clone, its own copy of the remote) of `merged`: no model in cache or remote."""
    remote = shutil.copytree(merged[1], tmp_path / "remote")
    ws = clone(merged[0], tmp_path / "ws", remote)
    assert not any(_in_remote(remote, md5) for md5 in _outs_md5(ws).values())
    return ws, remote


def test_a_model_nobody_pushed_is_rebuilt_verified_and_pushed(unpushed: tuple[Path, Path]) -> None:
    ws, remote = unpushed
    pinned = _outs_md5(ws)
    res = run(["make", "release-model"], ws, env={**NO_TRACKING, "MODEL_ENV_READY": "1"})
    assert "rebuilt with `dvc repro --force train`" in res.stdout, res.stdout
    assert "every md5 matches dvc.lock; pushed to remote `local`" in res.stdout
    for path, md5 in pinned.items():
        assert _in_remote(remote, md5), f"{path} ({md5}) was not pushed"
        assert hashlib.md5((ws / path).read_bytes(), usedforsecurity=False).hexdigest() == md5
    assert run(["git", "status", "--porcelain", "--untracked-files=no"], ws).stdout == ""
    summary = ws.parent / "summary.md"
    status = run(["model", "remote-status", "--remote", "local", "--summary", str(summary)], ws)
    assert "model on the DVC remote: held." in status.stdout, status.stdout
    assert summary.read_text().startswith("**Model on the DVC remote: held.**")
    # Pulled, not rebuilt, once the remote holds it.
    for path in pinned:
        (ws / path).unlink()
    again = run(["model", "release-model", "--remote", "local"], ws)
    assert "pulled from remote `local`" in again.stdout, again.stdout


def test_a_rebuild_that_differs_from_the_lock_fails_closed(unpushed: tuple[Path, Path]) -> None:
    ws, remote = unpushed
    lock = ws / "dvc.lock"
    onnx = _outs_md5(ws)["models/model.onnx"]
    tampered = lock.read_text().replace(onnx, "deadbeef" * 4)
    lock.write_text(tampered)
    res = run(["model", "release-model", "--remote", "local"], ws, check=False, env=NO_TRACKING)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "not reproducible" in res.stderr and "nothing was pushed" in res.stderr, res.stderr
    assert f"models/model.onnx: dvc.lock pins {'deadbeef' * 4}, rebuilt {onnx}" in res.stderr
    assert lock.read_text() == tampered, "dvc.lock is left as found, never re-pinned"
    assert not _in_remote(remote, onnx), "a release that failed closed pushed nothing"


def test_remote_status_tells_held_from_could_not_ask(s3_endpoint: str, tmp_path: Path) -> None:
    """Without credentials the answer is "unknown", never "missing" (fsspec's isfile says False
    on any error; before `_holds` asked `info`, a locked remote read as lacking the model)."""
    src = _project(tmp_path / "src")
    run(["dvc", "remote", "modify", "--local", "s3", "endpointurl", s3_endpoint], src)
    run(["dvc", "push", "-q", "--remote", "s3", "train"], src, env=AWS)
    held = run(["model", "remote-status", "--remote", "s3"], src, env=AWS).stdout
    assert "model on the DVC remote: held. DVC remote `s3` already holds all 2" in held, held
    no_credentials = {
        "AWS_EC2_METADATA_DISABLED": "true",  # never probe an instance metadata service
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
    }
    locked = run(["model", "remote-status", "--remote", "s3"], src, env=no_credentials).stdout
    assert "model on the DVC remote: unknown." in locked and "NoCredentialsError" in locked, locked
