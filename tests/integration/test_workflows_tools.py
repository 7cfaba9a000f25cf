"""Every GitHub workflow through real tools: actionlint, zizmor, `make -n` and `model --help`.

Each `run:` must be `make <target>` for a target that exists, a `model <command>` that
exists, or an allow-listed pinned tool install (the pinning and permission checks: unit).
"""

from __future__ import annotations

import subprocess
from functools import cache

import pytest

from tests.workflow_files import (
    BIN,
    INSTALL_LINES,
    MAKE_LINE,
    ROOT,
    WORKFLOWS,
    ids,
    run_lines,
)


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
