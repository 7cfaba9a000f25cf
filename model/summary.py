"""What `make demo` prints after the pipeline: metrics and where to look next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_metrics(reports: Path) -> dict[str, Any]:
    """Quality metrics and latency, merged, from the evaluate stage's files."""
    out: dict[str, Any] = {}
    for name in ("metrics.json", "latency.json"):
        path = reports / name
        if not path.exists():
            raise FileNotFoundError(f"{path} missing: run `dvc repro` first")
        out.update(json.loads(path.read_text()))
    return out
