"""Every `python -m model.…` that the Makefile, workflows, pipeline, image or manifests run is a
module that does something when run.

After a module moves, `python -m` on a module without a `__main__` guard imports it and exits
0 having done nothing: `make release-facts` and `make example-report` both did that once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CALLERS = [
    "Makefile", "Dockerfile", "dvc.yaml", "mk/*.mk", ".github/workflows/*.y*ml",
    "k8s/**/*.yaml", "fleet/*/dvc.yaml", "scripts/*", "model/**/*.py",
]  # fmt: skip
SHELL_FORM = re.compile(r"python3?\s+-m\s+(model(?:\.[A-Za-z_]\w*)*)")
ARGV_FORM = re.compile(r"""["']-m["']\s*,\s*["'](model(?:\.[A-Za-z_]\w*)*)["']""")
MAIN_GUARD = re.compile(r"""^if __name__ == ["']__main__["']:""", re.M)


def invoked_modules() -> dict[str, list[str]]:
    """Module name -> the files that run it with `python -m`."""
    found: dict[str, list[str]] = {}
    for pattern in CALLERS:
        for path in sorted(ROOT.glob(pattern)):
            if not path.is_file():
                continue
            text = path.read_text(errors="replace")
            for name in {*SHELL_FORM.findall(text), *ARGV_FORM.findall(text)}:
                found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def runs_something(name: str) -> bool:
    """A package with __main__.py, or a module with a `__main__` guard."""
    base = ROOT.joinpath(*name.split("."))
    if (base / "__main__.py").is_file():
        return True
    module = base.with_suffix(".py")
    return module.is_file() and bool(MAIN_GUARD.search(module.read_text()))


def test_callers_are_found() -> None:
    modules = invoked_modules()
    assert "model.pipeline.train" in modules, "dvc.yaml runs the train stage with python -m"
    assert "model.serving" in modules, "the Dockerfile's entry point runs the server"


@pytest.mark.parametrize("name", sorted(invoked_modules()))
def test_python_m_target_has_an_entry_point(name: str) -> None:
    callers = invoked_modules()[name]
    assert runs_something(name), (
        f"{', '.join(callers)} run `python -m {name}`, but {name} has no __main__ entry point: "
        "it would import and exit 0 having done nothing (use the `model` CLI instead)"
    )


def test_a_module_without_a_guard_is_caught() -> None:
    assert not runs_something("model.config")
    assert runs_something("model.serving.selfcheck")
