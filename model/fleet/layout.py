"""Where a model lives: the folder, its files, and the default model at the repository root.

Fleet models live in `fleet/<name>/`, not `models/<name>/`: `models/` is the default model's
DVC train output (models/model.onnx …, git-ignored), so a folder under it would be ignored by
git and overwritten by `dvc repro`. The default single model keeps its top-level files
(data.dvc, params.yaml, .github/promotion-gate.yaml, models/) and is listed as `credit-scoring`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from model.config import UsageError
from model.gitops import DEFAULT_MODEL, MAX_MODEL_NAME, MODEL_NAME

FLEET_ROOT = "fleet"
MANIFEST = "model.yaml"  # name, dataset, data file, rows at creation
CONTRACT = "contract.yaml"
PARAMS = "params.yaml"
GATE = "gate.yaml"
OWNERS = "OWNERS"
DATA_DIR = "data"
DATA_DVC = "data.dvc"
FILES = (MANIFEST, CONTRACT, PARAMS, GATE, OWNERS, DATA_DVC)
# Lower-case DNS-label-like names (the rule's home is model.gitops: the Model: trailer uses it).
NAME = re.compile(MODEL_NAME)
MAX_NAME = MAX_MODEL_NAME
OWNER = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?")


class FleetError(UsageError, ValueError):
    """A model name, folder or fleet file is not what the fleet expects."""


def check_name(name: str) -> str:
    """The name when it is a safe model name; else FleetError (names are hostile until here)."""
    if not isinstance(name, str) or len(name) > MAX_NAME or not NAME.fullmatch(name):
        raise FleetError(
            f"model name: expected lower-case letters, digits and single dashes, starting with a "
            f"letter, at most {MAX_NAME} characters (e.g. loan-default); found {name!r}"
        )
    return name


@dataclass(frozen=True)
class ModelInfo:
    """One fleet member: where its files are and what the manifest says."""

    name: str
    folder: str  # relative to the repository root; "." for the default model
    dataset: str
    target: str
    rows: int | None
    owners: tuple[str, ...]

    def path(self, what: str) -> str:
        """Repository-relative path of one of the model's files."""
        if self.folder == ".":
            return {
                CONTRACT: "model/core/schema.py",
                GATE: ".github/promotion-gate.yaml",
            }.get(what, what)
        return f"{self.folder}/{what}"


def folder(name: str) -> str:
    """fleet/<name>, after checking the name."""
    return f"{FLEET_ROOT}/{check_name(name)}"


def project_folder(name: str | None) -> str:
    """The DVC project a model's pipeline lives in: "." for the root model, else fleet/<name>."""
    return "." if name is None or name == DEFAULT_MODEL else folder(name)


def read_owners(path: Path) -> tuple[str, ...]:
    """Owner handles, one per line (# comments allowed); FleetError on a malformed one."""
    owners = []
    for line in path.read_text().splitlines():
        handle = line.split("#", 1)[0].strip()
        if not handle:
            continue
        if not OWNER.fullmatch(handle):
            raise FleetError(f"{path}: expected @user or @org/team per line; found {handle!r}")
        owners.append(handle)
    return tuple(owners)


def _default(root: Path) -> ModelInfo:
    from model.core.dataset import SOURCE_ITEM, SOURCE_PACKAGE
    from model.core.schema import TARGET

    return ModelInfo(
        DEFAULT_MODEL, ".", f"{SOURCE_PACKAGE}/{SOURCE_ITEM}", TARGET, _validated_rows(root), ()
    )


def _validated_rows(root: Path) -> int | None:
    import json

    try:
        return int(json.loads((root / "reports" / "validation.json").read_text())["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load(root: Path, name: str) -> ModelInfo:
    """The model `name` (its folder's manifest, or the default model); FleetError when absent."""
    if name == DEFAULT_MODEL:
        return _default(root)
    where = root / folder(name)
    try:
        manifest = yaml.safe_load((where / MANIFEST).read_text())
        target = yaml.safe_load((where / CONTRACT).read_text())["target"]
    except (OSError, yaml.YAMLError, TypeError, KeyError) as err:
        raise FleetError(f"{where}: not a model folder ({MANIFEST}, {CONTRACT}): {err}") from err
    if not isinstance(manifest, dict) or manifest.get("name") != name:
        raise FleetError(f"{where / MANIFEST}: expected `name: {name}`")
    rows = manifest.get("rows")
    owners = read_owners(where / OWNERS) if (where / OWNERS).is_file() else ()
    return ModelInfo(
        name, folder(name), str(manifest.get("dataset", "-")), str(target),
        rows if isinstance(rows, int) else None, owners,
    )  # fmt: skip


def names(root: Path) -> list[str]:
    """Every model name: the default (when its data.dvc exists) and each fleet folder, sorted."""
    found = [DEFAULT_MODEL] if (root / "data.dvc").is_file() else []
    base = root / FLEET_ROOT
    if base.is_dir():
        for entry in sorted(base.iterdir()):
            if (entry / MANIFEST).is_file() and NAME.fullmatch(entry.name):
                found.append(entry.name)
    return found


def discover(root: Path) -> list[ModelInfo]:
    """Every model in the repository at `root`."""
    return [load(root, name) for name in names(root)]
