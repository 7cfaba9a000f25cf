"""`make env` compiles the environment's bytecode exactly where Python will not cache its own.

With PYTHONDONTWRITEBYTECODE set (this machine, its CI) every `model`/`dvc` process would
otherwise compile pandas, scikit-learn, DVC and MLflow from source (about 3x slower imports).
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def _sync_line(dont_write_bytecode: str | None) -> str:
    """The `uv sync` line `make env` would run (-n -B: forced, printed, not run)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONDONTWRITEBYTECODE", "MODEL_ENV_READY"}
    }
    if dont_write_bytecode is not None:
        env["PYTHONDONTWRITEBYTECODE"] = dont_write_bytecode
    proc = subprocess.run(
        ["make", "-n", "-B", "env"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return next(line for line in proc.stdout.splitlines() if " sync --frozen" in line)


def test_sync_compiles_bytecode_when_python_will_not_write_it() -> None:
    assert "--compile-bytecode" in _sync_line("1")


def test_sync_leaves_bytecode_to_python_elsewhere() -> None:
    assert "--compile-bytecode" not in _sync_line(None)
