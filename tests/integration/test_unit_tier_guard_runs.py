"""A unit test that starts a process, uses the pipeline or is also `integration` fails the run.

Each case runs pytest in a subprocess on a throwaway test file wired to tests/conftest.py's
guard hooks, so the suite stays green while the guard is shown to bite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CASES = """
import subprocess
import pytest

@pytest.fixture(scope="session")
def trained_workspace():
    return "a stand-in with the pipeline fixture's name"

@pytest.mark.unit
def test_unit_spawns():
    subprocess.run(["true"], check=True)

@pytest.mark.unit
def test_unit_uses_the_pipeline(trained_workspace):
    assert trained_workspace

@pytest.mark.unit
@pytest.mark.integration
def test_unit_and_integration():
    pass

@pytest.mark.unit
def test_unit_pure():
    assert sum([1, 2]) == 3

@pytest.mark.integration
def test_integration_spawns():
    subprocess.run(["true"], check=True)
"""

GUARD = """
from tests.conftest import pytest_runtest_call, pytest_runtest_setup  # noqa: F401

def pytest_configure(config):
    config.addinivalue_line("markers", "unit: pure")
    config.addinivalue_line("markers", "integration: tools")
"""


def run_cases(tmp_path: Path, select: str) -> subprocess.CompletedProcess[str]:
    """pytest on the throwaway cases matching `select`, with the project's guard hooks."""
    (tmp_path / "test_cases.py").write_text(CASES)
    (tmp_path / "conftest.py").write_text(GUARD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", os.devnull,
         "--rootdir", str(tmp_path), "-rfE", "-k", select, "test_cases.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_a_unit_test_that_spawns_fails_and_names_the_command(tmp_path: Path) -> None:
    proc = run_cases(tmp_path, "unit_spawns")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "SpawnInUnitTest" in proc.stdout and "['true']" in proc.stdout, proc.stdout


def test_a_unit_test_on_a_pipeline_fixture_fails_before_the_fixture_runs(tmp_path: Path) -> None:
    proc = run_cases(tmp_path, "unit_uses_the_pipeline")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "uses the pipeline fixture(s) trained_workspace" in proc.stdout, proc.stdout


def test_a_test_cannot_be_both_unit_and_integration(tmp_path: Path) -> None:
    proc = run_cases(tmp_path, "unit_and_integration")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "is marked both unit and integration" in proc.stdout, proc.stdout


def test_pure_unit_tests_and_spawning_integration_tests_pass(tmp_path: Path) -> None:
    proc = run_cases(tmp_path, "unit_pure or integration_spawns")
    assert proc.returncode == pytest.ExitCode.OK, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout, proc.stdout
