"""What `make demo` prints after the pipeline: metrics and where to look next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_metrics(reports: Path) -> dict[str, Any]:
    """Quality metrics from the evaluate stage's metrics.json."""
    path = reports / "metrics.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `dvc repro` first")
    out: dict[str, Any] = json.loads(path.read_text())
    return out
