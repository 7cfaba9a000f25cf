"""Every GitHub workflow through real tools: actionlint, zizmor, `make -n` and `model --help`.

Each `run:` must be `make <target>` for a target that exists, a `model <command>` that
exists, or an allow-listed pinned tool install (the pinning and permission checks: unit).
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
MAKE_LINE = re.compile(r"^make ([a-z][a-z0-9-]*)$")
# Tool installs are not project calls; each must pin an exact version.
INSTALL_LINES = [
    re.compile(r"^npm install (-g|--global) @?[\w./-]+@\d+\.\d+\.\d+$"),
    re.compile(r"^npm ci --prefix [\w./-]+( --[\w-]+(=\w+)?)*$"),
    re.compile(r"^(python3? -m )?pip install( --user)?( [\w.-]+==[\w.]+)+$"),
]


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def steps(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_name, step)
        for job_name, job in load(path)["jobs"].items()
        for step in job.get("steps", [])
    ]


def run_lines() -> list[tuple[str, str, str]]:
    return [
        (path.name, job, step["run"])
        for path in WORKFLOWS
        for job, step in steps(path)
        if "run" in step
    ]


def ids(items: list[Any]) -> list[str]:
    return [f"{i[0]}:{i[1]}:{i[2][:40]}" if isinstance(i, tuple) else str(i) for i in items]


def test_actionlint_is_clean() -> None:
    proc = subprocess.run([str(BIN / "actionlint"), *map(str, WORKFLOWS)], cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_offline_is_clean() -> None:
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", ".github/workflows"], cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@cache
def make_target_exists(target: str) -> bool:
    proc = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    return "No rule to make target" not in proc.stderr and proc.returncode == 0


@cache
def model_command_exists(words: tuple[str, ...]) -> bool:
    proc = subprocess.run([str(BIN / "model"), *words, "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    return proc.returncode == 0


@pytest.mark.parametrize(("workflow", "job", "line"), run_lines(), ids=ids(run_lines()))
def test_run_line_is_a_make_target_model_command_or_pinned_install(
    workflow: str, job: str, line: str
) -> None:
    text = line.strip()
    assert "\n" not in text, f"{workflow}:{job}: multi-line run step; put it in a make target"
    assert "${{" not in text, (
        f"{workflow}:{job}: expressions in run lines invite injection; use env"
    )
    if match := MAKE_LINE.match(text):
        assert make_target_exists(match.group(1)), (
            f"{workflow}:{job}: no make target {match.group(1)!r}"
        )
    elif text.startswith("model "):
        words = tuple(text.split()[1:])
        command = words[: next((i for i, w in enumerate(words) if w.startswith("-")), len(words))]
        assert command and model_command_exists(command), (
            f"{workflow}:{job}: `model {' '.join(command)}` is not a command"
        )
    else:
        assert any(p.match(text) for p in INSTALL_LINES), (
            f"{workflow}:{job}: {text!r} is not `make <target>`, `model <cmd>` or a pinned install"
        )
