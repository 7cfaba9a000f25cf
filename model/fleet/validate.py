"""Check a model folder: every file present and well-formed, the data (if present) valid."""

from __future__ import annotations

from pathlib import Path

import yaml

from model.fleet import layout as lay
from model.fleet.layout import FleetError, folder, read_owners

STAGES = ("prepare", "train", "evaluate")


def _params(path: Path, default: Path) -> list[str]:
    ours, theirs = yaml.safe_load(path.read_text()), yaml.safe_load(default.read_text())
    if not isinstance(ours, dict):
        return [f"{path}: expected a mapping of stage sections"]
    found = []
    for stage in STAGES:
        missing = set(theirs[stage]) - set(ours.get(stage) or {})
        if missing:
            found.append(f"{path}: section {stage} lacks {sorted(missing)}")
    return found


def _data(where: Path, contract_path: Path) -> list[str]:
    from model.core.contract import check
    from model.core.contract_file import load
    from model.core.dataset import read_raw

    manifest = yaml.safe_load((where / lay.MANIFEST).read_text())
    rel = str(manifest.get("data", ""))
    if not rel.startswith(f"{lay.DATA_DIR}/") or ".." in rel or rel.count("/") != 1:
        return [f"{where / lay.MANIFEST}: data must name a file in {lay.DATA_DIR}/; found {rel!r}"]
    if not (where / rel).is_file():
        return []  # not pulled (a clean clone): nothing to check yet
    return [f"{where / rel}: {p}" for p in check(read_raw(where / rel), load(contract_path))]


def problems(root: Path, name: str, *, check_data: bool = True) -> list[str]:
    """Every problem with fleet/<name>/ (empty when it passes)."""
    from model.core.contract_file import ContractFileError, load
    from model.fleet.data import pinned
    from model.fleet.layout import load as load_model
    from model.review.policy import PolicyError
    from model.review.policy import load as load_policy

    where = root / folder(name)
    missing = [f for f in lay.FILES if not (where / f).is_file()]
    if missing:
        return [f"{where}: missing {', '.join(missing)}"]
    found: list[str] = []
    checks = (
        lambda: load_model(root, name),
        lambda: load(where / lay.CONTRACT),
        lambda: load_policy(where / lay.GATE),
        lambda: pinned(where),
        lambda: read_owners(where / lay.OWNERS) or found.append(f"{where / lay.OWNERS}: no owner"),
        lambda: found.extend(_params(where / lay.PARAMS, root / "params.yaml")),
    )
    for run in checks:
        try:
            run()
        except (FleetError, ContractFileError, PolicyError, yaml.YAMLError, KeyError) as err:
            found.append(str(err))
    if not found:
        from model.fleet.pipeline import sync

        stale = sync(root, name, write=False)
        if stale:
            found.append(f"generated files differ; run `model fleet sync`: {', '.join(stale)}")
    if check_data and not found:
        found.extend(_data(where, where / lay.CONTRACT))
    return found
