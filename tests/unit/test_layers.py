"""The package's layers (issue 12): imports point down, and only the CLI prints or exits.

import-linter checks the import graph against .importlinter (cli > demo > gitops|review|serving|
monitoring|training > pipeline > tracking > core > config/names/proc); lazy imports inside
functions count. The AST check finds print(), sys.exit() and typer.Exit outside model/cli.
"""

from __future__ import annotations

import ast
from pathlib import Path

import importlinter.configuration
import pytest
from importlinter.application.use_cases import lint_imports

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "model"
# Entry points that are a process of their own, outside the `model` CLI: each DVC stage's
# main() (dvc.yaml runs `python -m model.pipeline.<stage>`), the serving process and the
# self-check its image runs (`python -m model.serving[.selfcheck]`, no Typer in the image).
EXEMPT_MAINS = {
    "model/pipeline/validate.py",
    "model/pipeline/prepare.py",
    "model/pipeline/train.py",
    "model/pipeline/evaluate.py",
    "model/serving/__main__.py",
    "model/serving/selfcheck.py",
}
EXEMPT_MODULES = {"model/__main__.py"}  # `python -m model`: the CLI itself


def test_imports_point_down(capsys: pytest.CaptureFixture[str]) -> None:
    importlinter.configuration.configure()  # what `lint-imports` does first: readers, printer
    kept = lint_imports(str(ROOT / ".importlinter"), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out


def _name(node: ast.expr) -> str:
    """Dotted name of a call target: `print`, `sys.exit`, `typer.Exit`, else ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return ""


FORBIDDEN = {"print", "sys.exit", "typer.Exit", "exit", "quit"}


def _offences(path: Path, rel: str) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    allowed: list[ast.AST] = []
    if rel in EXEMPT_MAINS:
        allowed = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
        allowed += [n for n in tree.body if isinstance(n, ast.If)]  # if __name__ == "__main__"
    inside = {id(sub) for node in allowed for sub in ast.walk(node)}
    return [
        f"{rel}:{node.lineno} calls {_name(node.func)}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name(node.func) in FORBIDDEN and id(node) not in inside
    ]


def offences(package: Path = PACKAGE) -> list[str]:
    """Every print/exit call in the package outside model/cli and the exempt entry points."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if rel.startswith("model/cli/") or rel in EXEMPT_MODULES:
            continue
        found += _offences(path, rel)
    return found


def test_only_the_cli_prints_or_exits() -> None:
    found = offences()
    assert not found, "print/exit outside model/cli (return an outcome instead):\n" + "\n".join(
        found
    )


def test_the_print_check_sees_a_print_outside_main(tmp_path: Path) -> None:
    pkg = tmp_path / "model"
    (pkg / "pipeline").mkdir(parents=True)
    (pkg / "pipeline/train.py").write_text(
        "import sys\n\ndef main():\n    print('ok')\n    sys.exit(0)\n\n"
        "def helper():\n    print('not ok')\n"
    )
    (pkg / "gitops.py").write_text("import typer\n\ndef f():\n    raise typer.Exit(1)\n")
    assert offences(pkg) == [
        "model/gitops.py:4 calls typer.Exit()",
        "model/pipeline/train.py:8 calls print()",
    ]
