"""scripts/base-image.sh without root: sudo when it can, else a clear "cannot run here" (77).

GitHub's hosted runners are a normal user with passwordless sudo; the script once exited 1
there. Callers (tests/e2e/test_trainer_image.py) skip on 77 with the script's reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.tools import require

pytestmark = pytest.mark.e2e

NOBODY = 65534
CANNOT_RUN_HERE = 77


def as_nobody(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `script` as uid/gid 65534 with no supplementary groups (no docker socket either)."""
    setpriv = require("setpriv")
    cmd = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
           "bash", str(script)]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_without_root_or_sudo_it_says_so_and_exits_77() -> None:
    if os.geteuid() != 0:
        pytest.skip("dropping to another uid needs root")
    # pytest's tmp_path is private to root (0700); nobody needs a readable copy.
    with tempfile.TemporaryDirectory(prefix="base-image-") as tmp:
        Path(tmp).chmod(0o755)
        script = Path(tmp) / "base-image.sh"
        shutil.copy(ROOT / "scripts" / "base-image.sh", script)
        script.chmod(0o755)
        env = {"PATH": "/usr/bin:/bin", "BASE_IMAGE_REBUILD": "1", "BASE_IMAGE": "local/never:1"}
        proc = as_nobody(script, env)
    assert proc.returncode == CANNOT_RUN_HERE, proc.stdout + proc.stderr
    assert "needs root or passwordless sudo" in proc.stderr
    assert "local/never:1" in proc.stderr
