"""MLflow 3 reports usage to its makers unless told not to; the project's MLflow never does.

MLflow turns its telemetry off by itself under CI or pytest (it looks for CI,
PYTEST_CURRENT_TEST, GITHUB_ACTIONS, ...), so each check runs in a child with those removed:
what a user's `make demo` or `model tracking up` sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration
# MLflow's own list (mlflow.telemetry.utils._is_ci_env_or_testing) and the suite's MLflow
# variables: none of them may decide the outcome.
NOT_A_USER = ("PYTEST_CURRENT_TEST", "GITHUB_ACTIONS", "CI", "CIRCLECI", "GITLAB_CI",
              "JENKINS_URL", "TRAVIS", "TF_BUILD", "BITBUCKET_BUILD_NUMBER",
              "CODEBUILD_BUILD_ARN", "BUILDKITE", "TEAMCITY_VERSION", "CLOUD_RUN_EXECUTION",
              "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK")  # fmt: skip
DISABLED = "from mlflow.telemetry.utils import is_telemetry_disabled as d; print(d())"


def _user_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NOT_A_USER}


def _python(code: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env or _user_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_mlflow_alone_would_report(tmp_path: Path) -> None:
    assert _python(DISABLED, tmp_path) == "False"  # else the tests below prove nothing


def test_a_training_run_sends_no_telemetry() -> None:
    prepare = "from model.tracking.runs import import_mlflow; import_mlflow(); "
    assert _python(prepare + DISABLED, ROOT) == "True"


def test_the_tracking_server_sends_no_telemetry(tmp_path: Path) -> None:
    from model.tracking.server import server_env

    assert _python(DISABLED, tmp_path, server_env(_user_env())) == "True"
