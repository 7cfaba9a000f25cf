"""Every project module a DVC stage imports is one of its `dvc.yaml` deps (issue 12 §4).

Otherwise editing that module (an allowed category in model/core/schema.py, say) leaves `dvc repro`
skipping the stage and the lock vouching for outputs the code no longer makes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "model"
STAGES: dict[str, dict] = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def module_file(name: str) -> Path | None:
    """model.a.b -> model/a/b.py or model/a/b/__init__.py; None if it is not a module."""
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(tree: ast.AST) -> set[str]:
    """Dotted names of `model.*` modules imported anywhere (lazy imports included).

    `if TYPE_CHECKING:` blocks never run, so they are left out.
    """
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == PACKAGE:
            found.add(str(node.module))
            # `from model import config` imports the module model.config
            found.update(f"{node.module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def with_parents(name: str) -> list[str]:
    """Importing model.a.b runs model/__init__.py and model/a/__init__.py first."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def closure(start: str) -> set[Path]:
    """Files of every project module `start` imports, transitively, itself included."""
    seen: set[Path] = set()
    todo = [start]
    while todo:
        for name in with_parents(todo.pop()):
            path = module_file(name)
            if path is None or path in seen:
                continue  # `from model.x import CONST`: the CONST is no module
            seen.add(path)
            todo.extend(imported_modules(ast.parse(path.read_text(), str(path))))
    return {p.relative_to(ROOT) for p in seen}


def stage_module(cmd: str) -> str:
    words = cmd.split()
    assert words[:2] == ["python", "-m"], f"expected `python -m model.<stage>`, got {cmd!r}"
    return words[2]


def covered(path: Path, deps: list[str]) -> bool:
    """A file dep names the file; a directory dep contains it."""
    return any(path == Path(d) or Path(d) in path.parents for d in deps)


def missing_deps(stage: dict) -> list[str]:
    deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
    return sorted(str(p) for p in closure(stage_module(stage["cmd"])) if not covered(p, deps))


def test_the_walk_follows_lazy_and_from_imports(tmp_path: Path) -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from model import config\n"
        "if TYPE_CHECKING:\n    from model.serving import app\n"
        "def f():\n    from model.proc import git\n    import model.core.metrics\n"
    )
    assert imported_modules(tree) == {
        "model", "model.config", "model.proc", "model.proc.git", "model.core.metrics",
    }  # fmt: skip
    assert Path("model/core/schema.py") in closure("model.pipeline.train")  # train -> schema


def test_directory_deps_cover_their_files() -> None:
    assert covered(Path("model/core/schema.py"), ["model/core"])
    assert not covered(Path("model/core_extra.py"), ["model/core"])


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_every_module_it_imports(name: str) -> None:
    missing = missing_deps(STAGES[name])
    assert not missing, (
        f"stage {name!r} imports {missing} but dvc.yaml does not list them as deps, so "
        "`dvc repro` would skip it after they change: add them (or their directory) to its deps"
    )
