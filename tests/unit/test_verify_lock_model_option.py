"""`model verify-lock --model NAME`: which DVC project is checked, and hostile names refused.

The proof itself (worktree, `dvc repro`, md5 comparison) runs in
tests/integration/test_fleet_verify_lock.py; here `verify` is replaced by a recorder so the
CLI's choice of folder is seen without a subprocess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from model.cli.app import ModelGroup
from model.cli.commands import verify_lock as command
from model.review import verify_lock

pytestmark = pytest.mark.unit


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, list[str]]:
    """Run `model verify-lock ARGS`; return exit code, output and the folders verify got."""
    folders: list[str] = []

    def recorder(root: Path, rev: str = "HEAD", folder: str = ".") -> dict[str, Any]:
        folders.append(folder)
        lock = "dvc.lock" if folder == "." else f"{folder}/dvc.lock"
        return {"rev": "a" * 40, "lock": lock, "reproducible": True, "differing_stages": [],
                "differences": [], "ignored": ["reports/latency.json"]}  # fmt: skip

    monkeypatch.setattr(verify_lock, "verify", recorder)
    app = typer.Typer(cls=ModelGroup)
    command.register(app)
    app.command("other")(lambda: None)  # two commands: typer keeps the `verify-lock` name
    result = CliRunner().invoke(app, ["verify-lock", *args])
    return result.exit_code, result.output, folders


@pytest.mark.parametrize(
    ("args", "folder"),
    [([], "."), (["--model", "credit-scoring"], "."), (["--model", "churn"], "fleet/churn")],
)
def test_the_model_chooses_the_dvc_project_checked(
    args: list[str], folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, folders = invoke(args, monkeypatch)
    assert code == 0, output
    assert folders == [folder]
    lock = "dvc.lock" if folder == "." else f"{folder}/dvc.lock"
    assert f"{lock} at aaaaaaaaaa reproduced byte for byte" in output


@pytest.mark.parametrize("name", ["../../etc", "Churn", "churn/../x", "-rf", ""])
def test_a_name_that_is_not_a_model_name_is_refused_before_any_check(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, folders = invoke(["--model", name], monkeypatch)
    assert code == 2, output
    assert "model name: expected lower-case letters" in output
    assert folders == [], "nothing is checked out or run for a refused name"
