"""`model fleet list`: one row per model with the versions its environments run (from Git)."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from pathlib import Path

import yaml

from model.fleet.layout import DEFAULT_MODEL, ModelInfo, discover

ENVIRONMENTS = ("staging", "prod")
DEPLOY_ROOT = "deploy"  # deploy/<env>/<model>.yaml: a fleet model's release file per environment
NONE = "-"


@dataclass(frozen=True)
class Row:
    """One line of the fleet table."""

    name: str
    dataset: str
    target: str
    rows: str
    owners: str
    staging: str
    prod: str


def _default_version(root: Path, env: str) -> str:
    from model.gitops.overlay import read

    try:
        found = read(root, env).annotations.get("model-version", "")
    except Exception:  # no overlay, or one promotion has not written yet: nothing deployed
        return NONE
    return found if found not in ("", "none") else NONE  # overlays say "none" before a release


def _release_version(root: Path, name: str, env: str) -> str:
    path = root / DEPLOY_ROOT / env / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return NONE
    version = data.get("model_version") if isinstance(data, dict) else None
    return str(version) if version not in (None, "") else NONE


def version(root: Path, name: str, env: str) -> str:
    """The model version Git pins for `name` in `env`, or "-" when none is deployed."""
    if name == DEFAULT_MODEL:
        return _default_version(root, env)
    return _release_version(root, name, env)


def row(root: Path, info: ModelInfo) -> Row:
    """The table row of one model."""
    staging, prod = (version(root, info.name, env) for env in ENVIRONMENTS)
    return Row(
        info.name, info.dataset, info.target, NONE if info.rows is None else str(info.rows),
        " ".join(info.owners) or NONE, staging, prod,
    )  # fmt: skip


def rows(root: Path) -> list[Row]:
    """Every model's row, default model first, then fleet folders by name."""
    return [row(root, info) for info in discover(root)]


HEADER = ("model", "dataset", "target", "rows", "owners", "staging", "prod")


def render(found: list[Row]) -> str:
    """Plain aligned columns: never cropped or wrapped, so CI logs stay greppable."""
    lines = [HEADER, *(astuple(r) for r in found)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
