"""Every `model …` call the project writes down parses with today's CLI, and `--model` is a name.

`model drift --model` once took an ONNX path; every verb's `--model NAME` now picks a fleet
model. A caller left behind (a rendered Argo step, a make target, a documented command) would
fail at run time, far from here: these tests parse each one with the CLI itself.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from model.cli.app import _register_commands, app
from model.fleet.layout import check_name

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
# an Argo parameter, a make/shell variable, or a docs placeholder (NAME, ENV)
PLACEHOLDER = re.compile(r"\{\{.*\}\}|\$|^[A-Z][A-Z_]*$")


@cache
def _cli() -> Any:
    _register_commands()
    return typer.main.get_command(app)  # typer's vendored click: no isinstance on click.Group


def parse(argv: list[str]) -> dict[str, Any]:
    """The parameters `model ARGV…` binds; the CLI's own usage error when it does not parse."""
    cmd = _cli()
    rest = list(argv)
    while hasattr(cmd, "list_commands"):  # a group: the next word names its subcommand
        name, rest = rest[0], rest[1:]
        found = cmd.get_command(cmd.context_class(cmd), name)
        assert found is not None, f"`model {' '.join(argv)}`: no such command {name!r}"
        cmd = found
    return cmd.make_context(cmd.name, rest).params


def check_call(argv: list[str]) -> None:
    """Parse `model ARGV…`; a literal `--model` value must be a model name, never a path."""
    params = parse([a if not PLACEHOLDER.search(a) else "placeholder" for a in argv])
    raw = argv[argv.index("--model") + 1] if "--model" in argv else None
    if raw is not None and not PLACEHOLDER.search(raw):
        check_name(raw)
        assert params["model"] == raw


def _model_steps(doc: dict[str, Any]) -> list[list[str]]:
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    return [
        [str(a) for a in t["container"].get("args", [])]
        for t in spec.get("templates", [])
        if t.get("container", {}).get("command") == ["model"]
    ]


def rendered_steps() -> list[list[str]]:
    """The args of every `model` container the workflow generator renders."""
    from model.training import render

    docs = [d for text in render.render().values() for d in yaml.safe_load_all(text) if d]
    return [args for d in docs if d.get("kind") in {"WorkflowTemplate", "CronWorkflow"}
            for args in _model_steps(d)]  # fmt: skip


def written_calls() -> list[tuple[str, list[str]]]:
    """`model drift|status|data …` in make targets and docs, as (where, argv after `model`)."""
    found = []
    files = [*ROOT.glob("mk/*.mk"), *ROOT.glob("docs/*.md"), ROOT / "README.md"]
    for path in files:
        for line in path.read_text().splitlines():
            for match in re.finditer(r"\bmodel ((?:drift|status|data) [^`|;\n]*)", line):
                argv = [w.strip("\"'") for w in match.group(1).split()]
                found.append((f"{path.name}: {line.strip()[:60]}", argv))
    return found


def test_every_rendered_workflow_step_parses_with_the_cli() -> None:
    steps = rendered_steps()
    assert any(args[0] == "drift" for args in steps)  # the retrain template's drift check
    for args in steps:
        check_call(args)


def test_every_written_call_passes_a_model_name_to_model() -> None:
    calls = written_calls()
    assert any(argv[0] == "drift" for _, argv in calls)  # make drift-check, at least
    bad = []
    for where, argv in calls:
        raw = argv[argv.index("--model") + 1] if "--model" in argv[:-1] else None
        if raw is not None and not PLACEHOLDER.search(raw):
            try:
                check_name(raw)
            except ValueError:
                bad.append(where)
    assert bad == [], "`--model` takes a fleet model name (the ONNX path is `--onnx`)"


@pytest.mark.parametrize(
    "argv",
    [
        ["drift", "--reference", "r.csv", "--current", "c", "--model", "models/model.onnx"],
        ["drift", "--reference", "r.csv", "--current", "c", "--model", "/tmp/x.onnx"],
        ["data", "pull", "--model", "fleet/churn"],
    ],
)
def test_the_check_catches_a_path_passed_to_model(argv: list[str]) -> None:
    with pytest.raises(ValueError, match="model name"):
        check_call(argv)


def test_the_old_onnx_spelling_is_onnx_now() -> None:
    params = parse(["drift", "--reference", "r", "--current", "c", "--onnx", "m.onnx"])
    assert (params["onnx"], params["model"]) == (Path("m.onnx"), None)
