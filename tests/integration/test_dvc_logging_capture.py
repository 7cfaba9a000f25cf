"""DVC logs through handlers bound at its first import; pytest must not let a test bind them.

`import dvc` installs console handlers on whatever `sys.stdout` is at that moment (and
colorama wraps it). When the first import happened inside a test that had swapped stdout
(CliRunner, redirect_stdout, capsys), every later DVC log line in that worker wrote to the
closed stream and raised `LoggingException`: CI's stop 23 failed four tests of
test_verify_lock_cache_dir.py that way, depending on which files its worker ran first.
tests/conftest.py imports DVC at configure time, on the session's own streams.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import ROOT, run

PROBE = """
import contextlib
import io


def test_dvc_is_first_imported_under_a_swapped_stdout():
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        import dvc.repo  # noqa: F401
    stream.close()  # as CliRunner closes its stream


def test_dvc_still_logs_in_the_next_test(tmp_path):
    from dvc.repo import Repo

    Repo.init(str(tmp_path), no_scm=True).close()
"""


def test_dvc_logging_survives_a_first_import_inside_a_test(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
           "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(tmp_path)]  # fmt: skip
    proc = run(cmd, cwd=ROOT, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "2 passed" in proc.stdout
