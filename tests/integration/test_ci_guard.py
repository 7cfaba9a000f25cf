"""Issue 16: under CI a skipped test fails the run, unless it is allow-listed with a reason.

Each case runs pytest in a subprocess on a tiny temp test file, so the suite stays green.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model import config
from tests.conftest import ROOT

SKIPPING = """
import pytest

def test_runs():
    assert True

def test_needs_a_missing_tool():
    pytest.skip("frobnicator not found; provision it")

def test_needs_a_github_only_service():
    pytest.skip("needs GitHub's OIDC token service")

@pytest.mark.xfail(reason="a known bug, governed by xfail_strict")
def test_known_bug():
    assert False
"""

# The project's own wiring (tests/conftest.py's pytest_configure and its allow-list).
PROJECT_GUARD = "from tests.conftest import pytest_configure  # noqa: F401\n"

# The same guard with an allow-list that covers the GitHub-only skip.
ALLOWING_GUARD = """
from tests.conftest import SKIP_GUARD_NAME, AllowedSkip, SkipGuard

def pytest_configure(config):
    config.pluginmanager.register(SkipGuard((
        AllowedSkip("test_skips.py::test_needs_a_github_only_service", "OIDC token service",
                    "GitHub mints OIDC tokens only inside Actions"),
    )), SKIP_GUARD_NAME)
"""


def pytest_in(
    tmp_path: Path, guard: str, ci: str | None, select: str
) -> subprocess.CompletedProcess[str]:
    """Run pytest on the temp test file with `guard` as its conftest and CI set to `ci`."""
    (tmp_path / "test_skips.py").write_text(SKIPPING)
    (tmp_path / "conftest.py").write_text(guard)
    run_env = {k: v for k, v in os.environ.items() if k != config.CI}
    run_env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        run_env[config.CI] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", os.devnull,
         "--rootdir", str(tmp_path), "-k", select, "test_skips.py"],
        cwd=tmp_path, env=run_env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_a_skip_under_ci_fails_the_run_and_names_the_test_and_reason(tmp_path: Path) -> None:
    proc = pytest_in(tmp_path, PROJECT_GUARD, "true", "runs or missing_tool or known_bug")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert (
        "CI skip refused: test_skips.py::test_needs_a_missing_tool: "
        "frobnicator not found; provision it" in proc.stdout
    )
    assert "CI guard: 1 test(s) skipped under CI=true" in proc.stdout
    guard_lines = [line for line in proc.stdout.splitlines() if line.startswith("CI skip")]
    assert len(guard_lines) == 1, guard_lines  # the xfail is not counted as a skip


def test_the_same_skip_without_ci_passes_and_still_shows_the_reason(tmp_path: Path) -> None:
    for ci in (None, "false", "0"):
        proc = pytest_in(tmp_path, PROJECT_GUARD, ci, "runs or missing_tool")
        assert proc.returncode == pytest.ExitCode.OK, proc.stdout + proc.stderr
        assert "CI guard" not in proc.stdout
        assert "1 passed, 1 skipped" in proc.stdout


def test_an_allow_listed_skip_passes_under_ci_and_is_named_with_its_why(tmp_path: Path) -> None:
    proc = pytest_in(tmp_path, ALLOWING_GUARD, "true", "runs or github_only")
    assert proc.returncode == pytest.ExitCode.OK, proc.stdout + proc.stderr
    assert (
        "CI skip allowed: test_skips.py::test_needs_a_github_only_service: needs GitHub's OIDC "
        "token service (allow-listed: GitHub mints OIDC tokens only inside Actions)"
    ) in proc.stdout


def test_an_allow_list_entry_does_not_cover_another_reason(tmp_path: Path) -> None:
    proc = pytest_in(tmp_path, ALLOWING_GUARD, "1", "github_only or missing_tool")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "CI skip refused: test_skips.py::test_needs_a_missing_tool" in proc.stdout
    assert "CI skip allowed: test_skips.py::test_needs_a_github_only_service" in proc.stdout


def test_a_real_failure_keeps_its_exit_code_under_ci(tmp_path: Path) -> None:
    proc = pytest_in(tmp_path, PROJECT_GUARD, "true", "no_such_test")
    assert proc.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, proc.stdout + proc.stderr
