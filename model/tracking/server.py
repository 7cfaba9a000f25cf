"""Start and stop the embedded MLflow tracking server on loopback (SQLite + local artifacts)."""

from __future__ import annotations

import os
import signal
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from model import config
from model.proc import NotReady, free_port, wait_http
from model.tracking import without_telemetry

READY_TIMEOUT_S = 180.0  # generous: a loaded 2-core CI machine starts it slowly


@dataclass(frozen=True)
class ServerState:
    """Files of one embedded server, under the state directory."""

    root: Path

    @property
    def pid_file(self) -> Path:
        return self.root / "server.pid"

    @property
    def uri_file(self) -> Path:
        return self.root / "uri"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"


def state(root: Path | None = None) -> ServerState:
    """The embedded server's state folder (MODEL_STATE_DIR, default .state/mlflow)."""
    return ServerState((root or config.state_dir()) / "mlflow")


def is_alive(uri: str) -> bool:
    """Whether an MLflow server answers its health endpoint at `uri`."""
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def running_uri(st: ServerState | None = None) -> str | None:
    """The URI of the embedded server if it is up, else None."""
    st = st or state()
    if not st.uri_file.exists():
        return None
    uri = st.uri_file.read_text().strip()
    return uri if is_alive(uri) else None


def start(st: ServerState | None = None, port: int | None = None) -> str:
    """Start the server detached (idempotent) and wait until it answers; return its URI."""
    st = st or state()
    if uri := running_uri(st):
        return uri
    st.root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    uri = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{(st.root / 'mlflow.db').resolve()}",
        "--artifacts-destination", str((st.root / "artifacts").resolve()),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    pid = _spawn_detached(cmd, st.log_file)
    st.pid_file.write_text(f"{pid}\n")
    try:
        wait_http(f"{uri}/health", READY_TIMEOUT_S, alive=lambda: not _reap(pid))
    except NotReady as exc:
        stop(st)
        raise NotReady(f"MLflow server: {exc}; see {st.log_file}") from exc
    st.uri_file.write_text(uri + "\n")
    return uri


def server_env(base: Mapping[str, str]) -> dict[str, str]:
    """The tracking server's environment: `base`, without MLflow's telemetry, and without its
    background job runner (GenAI jobs), which is unused here and costs a process."""
    env = {**base, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    without_telemetry(env)
    return env


def _spawn_detached(cmd: list[str], log: Path) -> int:
    """Start `cmd` in its own session with output to `log`; no Popen object outlives this."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, fd, 1), (os.POSIX_SPAWN_DUP2, fd, 2)]
        return os.posix_spawn(cmd[0], cmd, server_env(os.environ), file_actions=actions,
                              setsid=True)  # fmt: skip
    finally:
        os.close(fd)


def _reap(pid: int) -> bool:
    """Whether `pid` has exited (reaping it if it is our child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child (started by another `model` process)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return done == pid


def stop(st: ServerState | None = None) -> bool:
    """Stop the embedded server and its workers; return whether one was running."""
    st = st or state()
    if not st.pid_file.exists():
        return False
    pid = int(st.pid_file.read_text().strip())
    st.pid_file.unlink()
    st.uri_file.unlink(missing_ok=True)
    try:
        os.killpg(pid, signal.SIGTERM)  # the server forks workers into its own session
    except ProcessLookupError:
        return False
    for _ in range(100):
        if _reap(pid):
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    _reap(pid)
    return True
