"""Exit codes are decided once (issue 12 §3): 0 ok, 1 a check or a step failed, 2 bad input.

Each case ran through a command that chose its own code before: a git failure was 2 in
`audit` and 1 in `promote`; a refused push in `model workflows push` was 2 ("bad input").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from tests.unit.gitops_repo import git, make_repo

pytestmark = pytest.mark.e2e
_register_commands()
IMAGE = "ghcr.io/org/credit-scoring@sha256:" + "c" * 64


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_a_git_failure_is_exit_1_in_audit_and_in_promote(tmp_path: Path) -> None:
    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    audit_code, audit_out = _invoke("audit", "--repo", str(not_a_repo))
    promote_code, promote_out = _invoke("promote", "staging", "--image", IMAGE,
                                        "--repo", str(not_a_repo))  # fmt: skip
    assert (audit_code, promote_code) == (1, 1), audit_out + promote_out
    assert "not a git repository" in audit_out.lower(), audit_out
    assert "Traceback" not in promote_out


def test_bad_input_is_still_exit_2(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    code, out = _invoke("promote", "production", "--image", IMAGE, "--repo", str(root))
    assert code == 2 and "production" in out, out


def test_a_refused_push_is_a_failed_step_not_bad_input(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    git(root, "switch", "-q", "-c", "retrain/x")
    work = tmp_path / "work"
    work.mkdir()
    (work / "retrain.json").write_text(json.dumps({"status": "proposed", "branch": "retrain/x"}))
    code, out = _invoke("workflows", "push", "--work", str(work), "--repo", str(root))
    assert code == 1, out  # there is no `origin`: git push fails, nothing was wrong with input
    assert "git push" in out, out


def test_facts_of_a_commit_without_a_model_is_a_failed_check(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", with_model_entry=False)
    code, out = _invoke("facts", "--repo", str(root))
    assert code == 1, out
    assert out.startswith("error:") and "model.onnx" in out, out
