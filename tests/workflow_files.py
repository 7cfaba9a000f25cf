"""The repository's GitHub workflow files, parsed: shared by the unit and integration checks."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
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
