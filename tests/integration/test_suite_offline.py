"""The suite's own DVC repositories never start DVC's analytics daemon, which phones home.

Tests `dvc init` throwaway repositories, whose config has no `analytics = false`; DVC then
spawns `dvc daemon analytics` after a command to report it to dvc.org. The session sets
DVC_NO_ANALYTICS (tests/conftest.py), and every subprocess inherits it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import run

pytestmark = pytest.mark.integration


def test_a_dvc_repo_made_by_a_test_sends_no_analytics(tmp_path: Path) -> None:
    run(["git", "init", "-q"], tmp_path)
    run(["dvc", "init", "-q"], tmp_path)
    assert "analytics" not in (tmp_path / ".dvc" / "config").read_text()  # DVC's default: on
    probe = "from dvc.analytics import is_enabled; print(is_enabled())"
    assert run([sys.executable, "-c", probe], tmp_path).stdout.strip() == "False"
