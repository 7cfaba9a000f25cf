"""DVC stage `validate`: stop the pipeline when raw data breaks the contract."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from model.core.schema import CREDIT_CONTRACT, Contract


def summarise(df: Any, contract: Contract = CREDIT_CONTRACT) -> dict[str, Any]:
    """Row count, class balance and null rates of valid raw data."""
    return {
        "rows": len(df),
        "target_counts": {str(k): int(v) for k, v in df[contract.target].value_counts().items()},
        "null_rates": {c: round(float(df[c].isna().mean()), 6) for c in contract.feature_names},
    }


def main(argv: list[str] | None = None) -> int:
    """Validate `--raw`; write a summary to `--out`, or exit 1 naming each problem."""
    from model.core.contract import ContractError, validate
    from model.core.contract_file import load_or_default
    from model.core.dataset import DataReadError, read_raw
    from model.pipeline.datapull import DATA_DVC, DataPullError, check_pin

    parser = argparse.ArgumentParser(prog="python -m model.pipeline.validate")
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--pinned", type=Path, help=f"the repository's {DATA_DVC}: data/ must match git's pin"
    )
    parser.add_argument(
        "--contract", type=Path, help="a contract.yaml (default: the credit contract in code)"
    )
    args = parser.parse_args(argv)
    if args.pinned is not None and args.pinned.name != DATA_DVC:
        parser.error(f"--pinned: expected a path ending in {DATA_DVC}; found {args.pinned}")
    try:
        if args.pinned is not None:  # first: a refused re-pin must not depend on the contract
            check_pin(args.pinned.resolve().parent)
    except DataPullError as err:
        print(err, file=sys.stderr)
        return 1
    try:
        df = read_raw(args.raw)
        contract = load_or_default(args.contract)
    except DataReadError as err:
        print(err, file=sys.stderr)
        return 1
    try:
        validate(df, contract)
    except ContractError as err:
        print(f"{args.raw}: {err}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summarise(df, contract), indent=2, sort_keys=True) + "\n")
    print(f"{args.raw}: {len(df)} rows satisfy the data contract")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
