"""Every test module that runs a workflow under act is in the slow tier (`make test` only).

`make test-fast` selects `-m "unit or data"`; an act test carrying either marker would make
the fast tier run GitHub workflows, so each such module must be marked e2e and act only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parents[1]


def act_modules() -> list[Path]:
    """Test modules that call the harness's run_workflow."""
    here = Path(__file__).resolve()
    return sorted(
        p
        for p in TESTS.rglob("test_*.py")
        if p != here and "run_workflow(" in p.read_text(encoding="utf-8")
    )


def module_marks(path: Path) -> set[str]:
    """Marker names in the module-level `pytestmark` assignment."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return {
                n.attr for n in ast.walk(node.value)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute)
                and n.value.attr == "mark"
            }  # fmt: skip
    return set()


def test_there_are_act_test_modules() -> None:
    names = {p.name for p in act_modules()}
    assert {"test_act_pr.py", "test_act_ci.py", "test_harness.py"} <= names


@pytest.mark.parametrize("path", act_modules(), ids=lambda p: p.name)
def test_act_modules_are_marked_e2e_and_act_never_unit_or_data(path: Path) -> None:
    marks = module_marks(path)
    assert {"e2e", "act"} <= marks, f"{path.name}: expected pytestmark e2e and act, found {marks}"
    assert not marks & {"unit", "data"}, f"{path.name}: act tests must stay out of test-fast"
