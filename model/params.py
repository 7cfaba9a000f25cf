"""Read one stage's section of params.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PARAMS_FILE = Path("params.yaml")


class ParamsError(ValueError):
    """params.yaml is missing, malformed, or lacks a section."""


def load(section: str, path: Path = PARAMS_FILE) -> dict[str, Any]:
    """Return the `section` mapping of a params file, failing with a clear message."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ParamsError(f"{path} not found; run from the repository root") from exc
    if not isinstance(data, dict) or not isinstance(data.get(section), dict):
        raise ParamsError(f"{path} has no mapping section '{section}'")
    return data[section]
