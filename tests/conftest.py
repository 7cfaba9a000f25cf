"""Shared fixtures: real git repositories, a real DVC directory remote, a real MLflow server.

`origin` is a bare repository holding the current work tree (tracked and untracked,
not ignored files) as one commit on main, so tests exercise the code under test, not HEAD.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.test",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run(cmd: list[str], cwd: Path, check: bool = True, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run a command with the test venv first on PATH; on failure show its output."""
    full_env = {**os.environ, **GIT_ENV, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", **(env or {})}
    proc = subprocess.run(
        cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode} in {cwd}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


def _snapshot_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="session", autouse=True)
def _git_identity() -> Iterator[None]:
    old = {k: os.environ.get(k) for k in GIT_ENV}
    os.environ.update(GIT_ENV)
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare `origin` whose main holds a snapshot of the current work tree."""
    base = tmp_path_factory.mktemp("origin")
    src = base / "src"
    for rel in _snapshot_files():
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    run(["git", "init", "-q", "-b", "main"], src)
    run(["git", "add", "-A"], src)
    run(["git", "commit", "-q", "-m", "snapshot of the work tree under test"], src)
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(src), str(bare)], base)
    return bare


@pytest.fixture(scope="session")
def dvc_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty DVC directory remote shared by the session's clones."""
    return tmp_path_factory.mktemp("dvc-remote")


def clone(origin: Path, dest: Path, dvc_remote: Path) -> Path:
    """Clone `origin` to `dest` and point its default DVC remote at `dvc_remote`."""
    run(["git", "clone", "-q", str(origin), str(dest)], dest.parent)
    run(["dvc", "remote", "modify", "--local", "local", "url", str(dvc_remote)], dest)
    return dest


@pytest.fixture
def workspace(origin: Path, dvc_remote: Path, tmp_path: Path) -> Path:
    """A fresh clone of origin with its DVC remote set (data not yet pulled)."""
    return clone(origin, tmp_path / "ws", dvc_remote)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow tracking server on 127.0.0.1 with a SQLite backend."""
    from model.tracking_server import ServerState, start, stop

    state = ServerState(tmp_path_factory.mktemp("mlflow-state"))
    uri = start(state)
    yield uri
    stop(state)


@pytest.fixture(scope="session")
def trained_workspace(
    origin: Path, dvc_remote: Path, mlflow_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A clone where `model data pull` and `dvc repro` have run once (treat as read-only)."""
    ws = clone(origin, tmp_path_factory.mktemp("trained") / "ws", dvc_remote)
    env = {"MLFLOW_TRACKING_URI": mlflow_server}
    run(["model", "data", "pull"], ws, env=env)
    run(["dvc", "repro"], ws, env=env)
    run(["dvc", "push"], ws, env=env)
    return ws
