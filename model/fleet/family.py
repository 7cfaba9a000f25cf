"""`model new NAME --segment-by COL`: a family of models, one per value of a categorical column.

This is how fleets grow in practice (one model per region, product or plan). Each member is an
ordinary fleet folder, fleet/NAME-<value>/, whose data is the rows of the dataset where COL
holds that value (its model.yaml says so under `segment:`, which `model fleet pull` replays to
re-create the bytes offline). The values come from the data, so they are hostile until here:
each becomes a safe model name or the whole family is refused, as are two values that would
share a name, and nothing is written unless every member can be made.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from model.fleet.layout import DEFAULT_MODEL, MAX_NAME, NAME, FleetError, check_name, folder

if TYPE_CHECKING:
    import pandas as pd

    from model.fleet.scaffold import NewModel

MAX_MEMBERS = 50  # more values than this is an id or free text, not a segment column
MIN_ROWS = 200  # fewer rows than this leaves too few test rows for a gate with CIs
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def slug(value: str) -> str:
    """`value` as a name part: lower-case ASCII letters and digits joined by single dashes."""
    return _NOT_NAME.sub("-", value.lower()).strip("-")


def member_names(family: str, values: list[str]) -> dict[str, str]:
    """{value: NAME-<slug>} for every value; FleetError for an unusable or shared name."""
    check_name(family)
    names: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for value in values:
        part = slug(value) if value.isascii() else ""  # "é" must not quietly become "e" or ""
        name = f"{family}-{part}"
        if not part or len(name) > MAX_NAME or not NAME.fullmatch(name) or name == DEFAULT_MODEL:
            raise FleetError(
                f"segment value {value!r} makes no safe model name (ASCII letters and digits, "
                f"{family}-<value> at most {MAX_NAME} characters); recode the column first"
            )
        if name in by_name:
            raise FleetError(
                f"segment values {by_name[name]!r} and {value!r} would both be {name}; "
                "recode the column so each value names one model"
            )
        names[value], by_name[name] = name, value
    return names


def _segments(df: pd.DataFrame, column: str, target: str, id_column: str) -> list[str]:
    """The column's distinct values (as strings, sorted); FleetError when it cannot segment."""
    if column not in df.columns or column in (target, id_column):
        raise FleetError(
            f"--segment-by {column!r}: not a feature column ({', '.join(map(str, df.columns))})"
        )
    values = sorted({str(v) for v in df[column].dropna().unique()})
    if not 2 <= len(values) <= MAX_MEMBERS:
        raise FleetError(
            f"--segment-by {column!r}: {len(values)} distinct values; a family needs 2 to "
            f"{MAX_MEMBERS}"
        )
    return values


def new_family(root: Path, family: str, dataset: str, target: str, segment_by: str, *,
               positive: str | None = None, owners: list[str]) -> list[NewModel]:  # fmt: skip
    """Scaffold fleet/FAMILY-<value>/ for each value of `segment_by`, all or none; stage them."""
    from model.fleet import scaffold as sc
    from model.fleet.infer import classes
    from model.proc import git

    package, item = sc.parse_dataset(dataset)
    owners = sc.check_owners(owners)
    spec = f"{package}/{item}"
    full = sc.source_frame(spec)
    sc.check_target(full, spec, target)
    positive = classes(full, target, positive)[1]  # one positive class for the whole family
    names = member_names(family, _segments(full, segment_by, target, sc.ID_COLUMN))
    for name in names.values():
        sc.check_new(root, name)
    frames = {}
    for value, name in names.items():
        segment = {"column": segment_by, "value": value}
        frames[name] = (segment, sc.source_frame(spec, segment))
        if len(frames[name][1]) < MIN_ROWS:
            raise FleetError(
                f"{name}: {len(frames[name][1])} rows where {segment_by} == {value!r}; each "
                f"member needs at least {MIN_ROWS}"
            )
    made: list[NewModel] = []
    try:
        for name, (segment, df) in frames.items():
            made.append(
                sc.make(
                    root, name, spec, df, target, positive=positive, owners=owners, segment=segment
                )
            )
    except BaseException:
        for done in made:
            shutil.rmtree(root / folder(done.name), ignore_errors=True)
        raise
    git(root, "add", "--", *(f for m in made for f in m.files))
    return made
