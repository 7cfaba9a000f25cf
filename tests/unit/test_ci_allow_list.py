"""The CI skip guard's allow-list and tool lookup (the guard at work: tests/integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CI_ALLOWED_SKIPS, ROOT
from tests.tools import find

pytestmark = pytest.mark.unit


def test_every_allow_list_entry_names_a_test_a_reason_and_why() -> None:
    for entry in CI_ALLOWED_SKIPS:
        assert entry.nodeid.startswith("tests/") and "::" in entry.nodeid, entry
        assert (ROOT / entry.nodeid.split("::")[0]).is_file(), entry
        assert entry.reason.strip() and len(entry.why) > 20, entry


def test_tools_resolve_to_absolute_paths_without_the_shells_path() -> None:
    # uv lives in ~/.local/bin after `make env`, which CI's PATH need not contain.
    for name in ("uv", "act", "kubectl", "docker", "gpg"):
        found = find(name)
        assert found is not None and Path(found).is_absolute(), (name, found)
    with pytest.raises(ValueError, match="unknown tool 'rm'"):
        find("rm")
