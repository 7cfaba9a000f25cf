"""The data contract as a YAML file a team owns: a checked loader and a stable dumper.

The file holds what `Contract` holds (schema.py); `dump` then `load` gives the same contract,
so the credit contract in code and a model folder's contract.yaml are one format. The last of
`target_classes` is the positive class the model scores (credit: "bad").
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, get_args

import yaml

from model.config import UsageError
from model.core.schema import Column, Contract, Kind

HEADER = (
    "# The data contract: what raw rows must look like before the pipeline trains on them.\n"
    "# Generated once by `model new`, then owned by the team; the last target class is the\n"
    "# positive one the model scores.\n"
)
_TOP = {"id_column", "target", "target_classes", "min_rows", "features", "extra"}
_COLUMN = {"name", "kind", "max_null_rate", "categories", "minimum", "maximum"}


class ContractFileError(UsageError, ValueError):
    """A contract file is not a well-formed contract; the message names the field."""


def positive_class(contract: Contract) -> str:
    """The class the model scores as 1: the last of target_classes."""
    return contract.target_classes[-1]


def _column_dict(col: Column) -> dict[str, Any]:
    out: dict[str, Any] = {"name": col.name, "kind": col.kind}
    if col.max_null_rate:
        out["max_null_rate"] = col.max_null_rate
    if col.categories:
        out["categories"] = list(col.categories)
    if col.minimum is not None:
        out["minimum"] = col.minimum
    if col.maximum is not None:
        out["maximum"] = col.maximum
    return out


def dump(contract: Contract) -> str:
    """The contract as YAML text (fields in contract order, defaults left out)."""
    data: dict[str, Any] = {
        "id_column": contract.id_column,
        "target": contract.target,
        "target_classes": list(contract.target_classes),
        "min_rows": contract.min_rows,
        "features": [_column_dict(c) for c in contract.features],
    }
    if contract.extra:
        data["extra"] = contract.extra
    return HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)


def _number(where: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ContractFileError(f"{where}: expected a finite number; found {value!r}")
    return value


def _column(where: str, raw: Any) -> Column:
    if not isinstance(raw, dict) or set(raw) - _COLUMN or "name" not in raw:
        keys = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ContractFileError(f"{where}: expected a mapping with keys {sorted(_COLUMN)}; {keys}")
    name, kind = raw["name"], raw.get("kind")
    if not isinstance(name, str) or not name:
        raise ContractFileError(f"{where}.name: expected a column name; found {name!r}")
    if kind not in get_args(Kind):
        raise ContractFileError(f"{where}.kind: expected one of {get_args(Kind)}; found {kind!r}")
    rate = _number(f"{where}.max_null_rate", raw.get("max_null_rate", 0.0))
    if rate is None or not 0 <= rate <= 1:
        raise ContractFileError(f"{where}.max_null_rate: expected 0..1; found {rate!r}")
    cats = raw.get("categories", [])
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        raise ContractFileError(f"{where}.categories: expected a list of strings; found {cats!r}")
    if (kind == "category") != bool(cats):
        raise ContractFileError(
            f"{where}: categories are required for, and only for, kind category"
        )
    low, high = (
        _number(f"{where}.minimum", raw.get("minimum")),
        _number(f"{where}.maximum", raw.get("maximum")),
    )
    if low is not None and high is not None and low > high:
        raise ContractFileError(f"{where}: minimum {low} is above maximum {high}")
    return Column(name, kind, rate, tuple(cats), low, high)


def _check_top(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or set(data) - _TOP or not {"target", "features"} <= set(data):
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ContractFileError(
            f"{where}: expected a mapping with `target` and `features` (keys among "
            f"{sorted(_TOP)}); found {found}"
        )
    classes = data.get("target_classes", ["good", "bad"])
    if (
        not isinstance(classes, list)
        or len(classes) != 2
        or len(set(classes)) != 2
        or not all(isinstance(c, str) and c for c in classes)
    ):
        raise ContractFileError(f"{where}.target_classes: expected two distinct names; {classes!r}")
    rows = data.get("min_rows", 1000)
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ContractFileError(f"{where}.min_rows: expected a positive integer; found {rows!r}")
    if not isinstance(data.get("extra", {}), dict):
        raise ContractFileError(f"{where}.extra: expected a mapping")
    return data


def loads(text: str, where: str = "contract") -> Contract:
    """Build a Contract from YAML text, or raise ContractFileError naming the bad field."""
    try:
        data = _check_top(yaml.safe_load(text), where)
    except yaml.YAMLError as err:
        raise ContractFileError(f"{where}: not YAML ({type(err).__name__})") from err
    features = data["features"]
    if not isinstance(features, list) or not features:
        raise ContractFileError(f"{where}.features: expected a non-empty list of columns")
    cols = tuple(_column(f"{where}.features[{i}]", raw) for i, raw in enumerate(features))
    names = [c.name for c in cols]
    special = {str(data.get("id_column", "rownames")), str(data["target"])}
    if len(set(names)) != len(names) or special & set(names):
        raise ContractFileError(
            f"{where}.features: names must be unique and exclude the id and target columns"
        )
    rest = {k: v for k, v in data.items() if k != "features"}
    return Contract.from_dict({**rest, "features": [c.__dict__ for c in cols]})


def load_or_default(path: Path | None) -> Contract:
    """The contract a stage's `--contract` names; the credit contract in code when none."""
    from model.core.schema import CREDIT_CONTRACT

    return CREDIT_CONTRACT if path is None else load(path)


def load(path: Path) -> Contract:
    """Read a contract file (see loads)."""
    try:
        text = path.read_text()
    except OSError as err:
        raise ContractFileError(f"{path}: cannot read the contract ({err.strerror})") from err
    return loads(text, str(path))
