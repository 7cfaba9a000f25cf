"""Start and stop the embedded MLflow tracking server on loopback (SQLite + local artifacts)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from model import env

READY_TIMEOUT_S = 90.0


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
    base = Path(env.get(env.MODEL_STATE_DIR, env.DEFAULT_STATE_DIR) or env.DEFAULT_STATE_DIR)
    return ServerState((root or base) / "mlflow")


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    with st.log_file.open("ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
    st.pid_file.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"MLflow server exited with {proc.returncode}; see {st.log_file}")
        if is_alive(uri):
            st.uri_file.write_text(uri + "\n")
            return uri
        time.sleep(0.3)
    stop(st)
    raise TimeoutError(f"MLflow server not ready after {READY_TIMEOUT_S:.0f}s; see {st.log_file}")


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
    for _ in range(50):
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True
