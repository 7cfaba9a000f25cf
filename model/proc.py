"""Subprocess helpers: one `run`, the venv PATH, loopback ports, HTTP readiness, and git."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from model.config import ModelError

STDERR_TAIL = 2000  # characters of stderr an error message keeps: the end says what went wrong


class ProcError(ModelError):
    """A command exited non-zero or timed out; the message names it, its exit code and stderr."""

    exit_code = 1

    def __init__(self, cmd: Sequence[str], returncode: int | None, stderr: str) -> None:
        self.cmd = list(cmd)
        self.returncode = returncode
        self.stderr = stderr
        status = "timed out" if returncode is None else f"exited {returncode}"
        tail = stderr.strip()[-STDERR_TAIL:]
        super().__init__(f"`{' '.join(self.cmd)}` {status}" + (f": {tail}" if tail else ""))


class GitError(ProcError):
    """A git command exited non-zero."""


class NotReady(ModelError):
    """An HTTP endpoint did not answer 200 in time (or its process died first)."""

    exit_code = 1


@overload
def run(
    cmd: Sequence[str],
    cwd: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
    timeout: float | None = None,
    text: Literal[True] = True,
) -> subprocess.CompletedProcess[str]: ...


@overload
def run(
    cmd: Sequence[str],
    cwd: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: bytes | None = None,
    timeout: float | None = None,
    text: Literal[False],
) -> subprocess.CompletedProcess[bytes]: ...


def run(
    cmd: Sequence[str],
    cwd: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | bytes | None = None,
    timeout: float | None = None,
    text: bool = True,
) -> subprocess.CompletedProcess[Any]:
    """Run `cmd` capturing its output; raise ProcError when it fails and `check` is set.

    `text=False` keeps stdin/stdout as bytes: for data that is hostile until parsed (keys).
    """
    try:
        proc = subprocess.run(
            list(cmd), cwd=cwd, env=None if env is None else dict(env), input=input,
            capture_output=True, text=text, check=False, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise ProcError(cmd, None, f"after {timeout}s. {stderr}") from exc
    if check and proc.returncode != 0:
        err = proc.stderr if text else proc.stderr.decode(errors="replace")
        raise ProcError(cmd, proc.returncode, err)
    return proc


def venv_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ with this interpreter's bin folder first on PATH (so `dvc`, `model` resolve)."""
    path = os.environ.get("PATH", "")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{path}"}
    return {**env, **(extra or {})}


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float, *, alive: Callable[[], bool] | None = None) -> float:
    """Poll `url` until it answers 200; return seconds waited. `alive()` False stops early."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
        except OSError:  # refused, reset, or an HTTP error status: not ready yet
            pass
        if alive is not None and not alive():
            raise NotReady(f"the process exited before {url} answered 200")
        time.sleep(0.05)
    raise NotReady(f"{url} did not answer 200 within {timeout:.0f}s")


def git(cwd: Path, *args: str, check: bool = True, stdin: str | None = None) -> str:
    """Run `git ARGS` in `cwd` and return stdout; raise GitError with stderr on failure."""
    proc = run(["git", *args], cwd, check=False, input=stdin)
    if check and proc.returncode != 0:
        raise GitError(["git", *args], proc.returncode, proc.stderr)
    return proc.stdout


def attempt(cwd: Path, *args: str) -> tuple[bool, str]:
    """Run `git ARGS` and return (succeeded, stderr): for commands whose refusal is an answer."""
    proc = run(["git", *args], cwd, check=False)
    return proc.returncode == 0, proc.stderr


def ok(cwd: Path, *args: str) -> bool:
    """True when `git ARGS` exits 0 (output discarded)."""
    return run(["git", *args], cwd, check=False).returncode == 0


def toplevel(cwd: Path) -> Path:
    """The work tree root containing `cwd`."""
    return Path(git(cwd, "rev-parse", "--show-toplevel").strip())


def head(cwd: Path) -> str:
    """Full sha of HEAD."""
    return git(cwd, "rev-parse", "HEAD").strip()


def head_or_none(cwd: Path) -> str | None:
    """Full sha of HEAD, or None outside a git work tree (or before the first commit)."""
    proc = run(["git", "rev-parse", "HEAD"], cwd, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def current_branch(cwd: Path) -> str:
    """The checked-out branch name ('HEAD' when detached)."""
    return git(cwd, "rev-parse", "--abbrev-ref", "HEAD").strip()


def dirty_files(cwd: Path) -> list[str]:
    """Tracked files with uncommitted changes (staged or not)."""
    out = git(cwd, "status", "--porcelain", "--untracked-files=no")
    return [line[3:] for line in out.splitlines() if line.strip()]


def show(cwd: Path, rev: str, path: str) -> str | None:
    """File content at `rev`, or None when it does not exist there."""
    proc = run(["git", "show", f"{rev}:{path}"], cwd, check=False)
    return proc.stdout if proc.returncode == 0 else None


def user(cwd: Path) -> str:
    """'Name <email>' of the configured committer, for the Promoted-By trailer."""
    # `git var` honours GIT_AUTHOR_* variables as well as config, exactly like a commit does.
    ident = git(cwd, "var", "GIT_AUTHOR_IDENT", check=False).strip()
    return ident.rsplit(" ", 2)[0] if ident else "unknown"
