"""DVC stage `prepare`: a deterministic, stratified train/test split keyed by row id.

Each row's side is decided by a seeded hash of its id, ranked within its class, so the split
does not depend on row order or on any training parameter: base and head of a pull request
score the same test rows, and appending data moves few existing rows.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from model import config
from model.core.schema import ID_COLUMN, TARGET

if TYPE_CHECKING:
    import pandas as pd


def row_key(row_id: int, seed: int) -> int:
    """A stable pseudo-random 64-bit key for a row id under `seed`."""
    digest = hashlib.blake2b(f"{seed}:{row_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def split(
    df: pd.DataFrame, *, test_size: float, seed: int, id_column: str = ID_COLUMN,
    target: str = TARGET,
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Split `df` into (train, test), stratified by the target, both sorted by row id."""
    if not 0 < test_size < 1:
        raise ValueError(f"prepare.test_size must be in (0, 1); got {test_size}")
    keys = df[id_column].map(lambda rid: row_key(int(rid), seed))
    rank = keys.groupby(df[target]).rank(method="first", pct=True)
    is_test = rank <= test_size
    train = df[~is_test].sort_values(id_column)
    test = df[is_test].sort_values(id_column)
    return train, test


def main(argv: list[str] | None = None) -> int:
    """Read raw CSV, write train and test CSVs per params.prepare."""
    from model.core.contract_file import load_or_default
    from model.core.dataset import DataReadError, read_raw

    parser = argparse.ArgumentParser(prog="python -m model.pipeline.prepare")
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument(
        "--contract", type=Path, help="a contract.yaml (default: the credit contract in code)"
    )
    parser.add_argument(
        "--params", type=Path, default=config.PARAMS_FILE, help="the params file to read"
    )
    args = parser.parse_args(argv)
    cfg = config.load_params("prepare", args.params)
    contract = load_or_default(args.contract)
    try:
        raw = read_raw(args.raw)
    except DataReadError as err:
        print(err, file=sys.stderr)
        return 1
    train, test = split(
        raw, test_size=float(cfg["test_size"]), seed=int(cfg["seed"]),
        id_column=contract.id_column, target=contract.target,
    )  # fmt: skip
    for frame, path in ((train, args.train), (test, args.test)):
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, lineterminator="\n")
    print(f"split: {len(train)} train rows, {len(test)} test rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
