"""model.proc: the one subprocess wrapper, venv PATH and loopback readiness helpers."""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from model import proc
from tests.loopback import serve_handler

pytestmark = pytest.mark.e2e


def test_run_failure_names_command_code_and_stderr_tail(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('x' * 5000 + 'the real reason'); sys.exit(3)"
    with pytest.raises(proc.ProcError) as err:
        proc.run([sys.executable, "-c", script], tmp_path)
    message = str(err.value)
    assert err.value.returncode == 3 and "exited 3" in message
    assert message.endswith("the real reason") and sys.executable in message
    assert len(message) < 2500, "only the tail of stderr is kept"


def test_run_unchecked_returns_the_result(tmp_path: Path) -> None:
    out = proc.run([sys.executable, "-c", "print(input())"], tmp_path, input="hi\n")
    bad = proc.run([sys.executable, "-c", "raise SystemExit(4)"], tmp_path, check=False)
    assert out.stdout == "hi\n" and bad.returncode == 4


def test_run_keeps_bytes_when_asked(tmp_path: Path) -> None:
    echo = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read()[::-1])"
    out = proc.run([sys.executable, "-c", echo], tmp_path, input=b"\xff\x00ab", text=False)
    assert out.stdout == b"ba\x00\xff"
    script = "import sys; sys.stderr.buffer.write(b'bad \\xff key'); sys.exit(2)"
    with pytest.raises(proc.ProcError, match="bad"):
        proc.run([sys.executable, "-c", script], tmp_path, text=False)


def test_run_timeout_is_a_proc_error(tmp_path: Path) -> None:
    with pytest.raises(proc.ProcError, match="timed out"):
        proc.run([sys.executable, "-c", "import time; time.sleep(5)"], tmp_path, timeout=0.2)


def test_venv_env_puts_this_interpreter_first(tmp_path: Path) -> None:
    env = proc.venv_env({"EXTRA": "1"})
    first = env["PATH"].split(os.pathsep)[0]
    found = proc.run(["sh", "-c", "command -v python"], tmp_path, env=env).stdout.strip()
    assert first == str(Path(sys.executable).parent) and env["EXTRA"] == "1"
    assert Path(found).parent == Path(sys.executable).parent


def test_git_error_is_a_proc_error_with_exit_code_1(tmp_path: Path) -> None:
    with pytest.raises(proc.GitError) as err:
        proc.git(tmp_path, "rev-parse", "HEAD")
    assert isinstance(err.value, proc.ProcError) and err.value.exit_code == 1
    assert proc.head_or_none(tmp_path) is None


class _Status(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Failing(_Status):
    status = 500


def test_wait_http_returns_once_the_endpoint_answers_200() -> None:
    with serve_handler(_Status) as url:
        assert proc.wait_http(url, timeout=5) < 5


def test_wait_http_gives_up_on_non_200_and_on_a_dead_process() -> None:
    with serve_handler(_Failing) as url:
        with pytest.raises(proc.NotReady, match="within"):
            proc.wait_http(url, timeout=0.3)
        with pytest.raises(proc.NotReady, match="exited before"):
            proc.wait_http(url, timeout=5, alive=lambda: False)
    port = proc.free_port()
    with pytest.raises(proc.NotReady):
        proc.wait_http(f"http://127.0.0.1:{port}/", timeout=0.3)
