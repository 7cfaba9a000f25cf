"""Every test in this folder is an attack or hostile input that must be refused: mark it so."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Add the `security` marker to this folder's tests (`pytest -m security` finds them)."""
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.security)
