"""`--model ''` is a bad name (exit 2) in every verb that takes --model, never the root model.

Before, promote, rollback, audit verify and register read '' as "the root model" while data,
status, drift, summary, report, verify-lock and retrain refused it: one option, two meanings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from model.cli.console import EXIT_USAGE
from tests.integration.fleet_repo import image, make_fleet_repo
from tests.unit.gitops_repo import git

pytestmark = pytest.mark.integration
_register_commands()

VERBS = [
    ["promote", "staging", "--image", image("churn")],
    ["rollback", "staging"],
    ["audit"],
    ["audit", "verify", "--no-docker"],
    ["register"],
    ["data", "md5"],
    ["summary"],
    ["verify-lock"],
]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fleet_repo(tmp_path_factory.mktemp("empty") / "repo", ["churn"])


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: " ".join(v[:2]))
def test_an_empty_model_name_is_a_usage_error(
    repo: Path, verb: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    head = git(repo, "rev-parse", "HEAD")
    result = CliRunner().invoke(app, [*verb, "--model", ""])
    out = " ".join(result.output.split())
    assert result.exit_code == EXIT_USAGE, out
    assert "name" in out.lower(), out  # it says what is wrong: the model name
    assert git(repo, "rev-parse", "HEAD") == head  # nothing was committed
