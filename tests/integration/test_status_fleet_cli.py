"""`model status ENV --model NAME` refuses bad input before it contacts any cluster (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import VENV_BIN, run
from tests.integration.fleet_repo import make_fleet_repo

pytestmark = pytest.mark.integration
# No cluster here: a kubeconfig that does not exist makes any attempt to reach one fail loudly.
NO_CLUSTER = {"KUBECONFIG": "/nonexistent/kubeconfig", "KUBERNETES_SERVICE_HOST": ""}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model plus fleet/churn (a manifest and a contract), no release file yet."""
    root = make_fleet_repo(tmp_path_factory.mktemp("status") / "repo", ["churn"])
    (root / "fleet/churn/contract.yaml").write_text("target: churn\n")
    return root


def status(repo: Path, *args: str) -> tuple[int, str]:
    proc = run([str(VENV_BIN / "model"), "status", *args], repo, check=False, env=NO_CLUSTER)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["../x", "a;b", "Churn", ""])
def test_a_hostile_name_is_a_usage_error(repo: Path, name: str) -> None:
    code, out = status(repo, "staging", "--model", name)
    assert code == 2 and "model name" in out, out


def test_an_unknown_model_is_a_usage_error(repo: Path) -> None:
    code, out = status(repo, "staging", "--model", "nosuch")
    assert code == 2 and "fleet/nosuch" in out, out


def test_a_model_without_a_release_there_is_told_to_promote_first(repo: Path) -> None:
    code, out = status(repo, "prod", "--model", "churn")
    assert code == 2, out
    assert "deploy/prod/churn.yaml not found" in out and "model promote prod" in out, out
    assert "kubeconfig" not in out.lower()  # refused before any cluster was looked for
