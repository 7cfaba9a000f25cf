"""`make test` runs two xdist workers: tests sharing Docker engine names stay on one worker.

tests/conftest.py makes each file one work unit and the files in ENGINE_GROUP_FILES (the demo,
and the tags and host port it shares) a single unit, scheduled first. These checks keep that
real: a renamed file would silently leave the group, and the Makefile must ask for a file-based
distribution without reordering (tests/integration/test_xdist_engine_group.py runs it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.conftest import (
    ENGINE_GROUP,
    ENGINE_GROUP_FILES,
    ROOT,
    pytest_collection_modifyitems,
    work_unit,
)

pytestmark = pytest.mark.unit


@dataclass
class FakeItem:
    """What the hook reads of a pytest.Item: its node id."""

    nodeid: str


def test_every_engine_group_file_exists() -> None:
    missing = [path for path in ENGINE_GROUP_FILES if not (ROOT / path).is_file()]
    assert not missing, f"ENGINE_GROUP_FILES names files that do not exist: {missing}"


def test_engine_group_files_share_one_unit_and_other_tests_go_by_file() -> None:
    assert {work_unit(f"{path}::test_x[a@b]") for path in ENGINE_GROUP_FILES} == {ENGINE_GROUP}
    assert work_unit("tests/unit/test_a.py::test_one[x@v1]") == "tests/unit/test_a.py"
    assert work_unit("tests/e2e/test_b.py::Case::test_two") == "tests/e2e/test_b.py"


def test_engine_group_is_collected_first_demo_leading_others_in_their_order() -> None:
    demo, manifests = ENGINE_GROUP_FILES[0], ENGINE_GROUP_FILES[1]
    items = [
        FakeItem("tests/unit/test_a.py::test_one"),
        FakeItem(f"{manifests}::test_m"),
        FakeItem("tests/e2e/test_b.py::test_two"),
        FakeItem(f"{demo}::test_d1"),
        FakeItem("tests/unit/test_a.py::test_three"),
        FakeItem(f"{demo}::test_d2"),
    ]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [i.nodeid.split("::")[1] for i in items] == [
        "test_d1", "test_d2", "test_m", "test_one", "test_two", "test_three",
    ]  # fmt: skip


def test_make_test_distributes_by_file_in_collection_order() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "expected a `test:` target in the Makefile"
    # the flags live in one variable, shared with test-fast: expand it as make does
    parallel = re.search(r"^PARALLEL = (.*)$", makefile, re.M)
    command = recipe.group(1).replace("$(PARALLEL)", parallel.group(1) if parallel else "")
    assert "--dist loadfile" in command and "--no-loadscope-reorder" in command
