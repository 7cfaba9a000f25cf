"""Where the served model came from: version, git commit, data.dvc md5, training metrics.

The image bakes this as build-info.json next to the model (written in the Dockerfile's
builder stage); a local `model serve` collects it from the work tree instead. Env vars
(MODEL_VERSION, MODEL_GIT_COMMIT, MODEL_DATA_MD5) override either.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from model import config

FILE = "build-info.json"


def data_md5(root: Path) -> str | None:
    """The md5 data.dvc pins in the work tree at `root`, or None when it has no usable pin."""
    from model.core.dataset import DataPinError, pinned_md5

    try:
        return pinned_md5(root)
    except DataPinError:
        return None


def git_commit(root: Path) -> str | None:
    """HEAD of the repository at `root`, or None outside git (or without git)."""
    from model.proc import head_or_none

    try:
        return head_or_none(root)
    except OSError:
        return None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`, or {} when absent or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def collect(
    root: Path, metrics: Path, version: str | None = None, commit: str | None = None
) -> dict[str, Any]:
    """Build info for the work tree at `root`."""
    return {
        "version": version,
        "git_commit": commit or git_commit(root),
        "data_md5": data_md5(root),
        "metrics": read_json(metrics),
    }


def load(model_dir: Path, model_sha256: str) -> dict[str, Any]:
    """Build info for the server: build-info.json (or the work tree), then env overrides."""
    info = read_json(model_dir / FILE)
    if not info:
        root = model_dir.resolve().parent
        info = collect(root, root / "reports" / "metrics.json")
    overrides = {
        "version": config.get(config.MODEL_VERSION),
        "git_commit": config.get(config.MODEL_GIT_COMMIT),
        "data_md5": config.get(config.MODEL_DATA_MD5),
    }
    info.update({k: v for k, v in overrides.items() if v})
    info["version"] = info.get("version") or model_sha256[:12] or "unknown"
    return info


def main(argv: list[str] | None = None) -> int:
    """Write build-info.json (used by the Dockerfile's builder stage)."""
    parser = argparse.ArgumentParser(prog="python -m model.serving.buildinfo")
    parser.add_argument("--root", type=Path, default=Path())
    parser.add_argument("--metrics", type=Path, default=Path("reports/metrics.json"))
    parser.add_argument("--version", default="")
    parser.add_argument("--git-commit", default="")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    info = collect(args.root, args.metrics, args.version or None, args.git_commit or None)
    args.out.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
