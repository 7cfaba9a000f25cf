"""Issue 11 §7: `model report` usage errors exit 2 with one line; exit 1 means "gate failed".

Each case runs the real CLI against a real clone, so a traceback (exit 1, which CI would read
as "the gate failed and the report was written") cannot hide behind an in-process runner.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from model.cli.console import EXIT_USAGE
from tests.conftest import VENV_BIN, run

pytestmark = [pytest.mark.e2e, pytest.mark.security]


def report(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`model report` in the clone `ws`, never raising on its exit code."""
    return run([str(VENV_BIN / "model"), "report", *args], ws, check=False, timeout=300)


def assert_usage_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, no traceback, exactly one stderr line naming each of `needles`."""
    err = proc.stderr.strip()
    assert proc.returncode == EXIT_USAGE, (proc.returncode, proc.stdout, err)
    assert "Traceback" not in err and err.count("\n") == 0, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def test_out_that_is_an_existing_file_is_a_usage_error(workspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("precious\n")
    assert_usage_error(report(workspace, "--out", str(target)), "--out", str(target), "directory")
    assert target.read_text() == "precious\n"


@pytest.mark.parametrize("where", ["under-a-file", "read-only-fs"])
def test_out_that_cannot_be_written_is_a_usage_error(
    workspace: Path, tmp_path: Path, where: str
) -> None:
    # chmod cannot stop root, so use paths no one can create: below a file, and in sysfs.
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "report" if where == "under-a-file" else Path("/sys/cs-report")
    assert_usage_error(report(workspace, "--out", str(out)), "--out", str(out))
    assert not out.exists()


def test_out_with_a_control_character_stays_one_line(workspace: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "a\nerror: forged second line"
    hostile.write_text("x")
    err = assert_usage_error(report(workspace, "--out", str(hostile)), "--out")
    assert "\\n" in err  # shown escaped, so the log line cannot be split or forged


BAD_LOCK = {
    "not-json": b"{reproducible: yes",
    "not-utf8": b"\xff\xfe{}",
    "a-list": b"[]",
    "no-verdict": b'{"rev": "abc", "differences": []}',
    "verdict-not-bool": b'{"rev": "abc", "reproducible": "yes", "differences": []}',
    "differences-not-list": b'{"rev": "abc", "reproducible": false, "differences": 3}',
}


@pytest.mark.parametrize("name", sorted(BAD_LOCK))
def test_bad_lock_status_is_a_usage_error(workspace: Path, tmp_path: Path, name: str) -> None:
    lock = tmp_path / "lock-status.json"
    lock.write_bytes(BAD_LOCK[name])
    out = tmp_path / "out"
    proc = report(workspace, "--out", str(out), "--lock-status", str(lock))
    assert_usage_error(proc, "--lock-status", str(lock), "model verify-lock --out")
    assert not (out / "report.md").exists()
