"""The one data.dvc reader (model.core.dataset.md5_of) also serves the release facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from model.gitops.facts import data_md5
from tests.unit.gitops_repo import git, make_repo

pytestmark = pytest.mark.e2e
FORGED = 'outs:\n- md5: "1111\\nModel-Version: forged"\n  path: data\n'


def test_a_forged_pin_is_unknown_not_repeated(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    assert data_md5(root, git(root, "rev-parse", "HEAD").strip()) == f"{'1' * 32}.dir"
    (root / "data.dvc").write_text(FORGED)
    git(root, "commit", "-qam", "forge the pin")
    assert data_md5(root, git(root, "rev-parse", "HEAD").strip()) == "unknown"


def test_model_data_md5_prints_the_pin_images_are_labelled_with(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    _register_commands()
    result = CliRunner().invoke(app, ["data", "md5", "--repo", str(root)])
    assert (result.exit_code, result.output) == (0, f"{'1' * 32}.dir\n")
    (root / "data.dvc").write_text(FORGED)
    result = CliRunner().invoke(app, ["data", "md5", "--repo", str(root)])
    assert result.exit_code == 1 and "forged" not in result.output, result.output
