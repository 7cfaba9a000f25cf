"""Every test in this folder calls a real tool or a live server: mark it `integration`.

`unit` (tests/unit) is pure logic in this process; what needs git, dvc, kubectl, actionlint,
zizmor, promtool, gpg, a trained workspace or a loopback server lives here instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Add the `integration` marker to this folder's tests (`pytest -m integration`)."""
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)
