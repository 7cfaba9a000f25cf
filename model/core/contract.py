"""Validate raw data against the contract with pandera, reporting problems for people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.config import CheckFailed
from model.core.schema import CREDIT_CONTRACT, Column, Contract

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa


@dataclass(frozen=True)
class Problem:
    """One broken rule: which column, what the contract expects, what the data has."""

    column: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"column '{self.column}': expected {self.expected}; found {self.found}"


class ContractError(CheckFailed, ValueError):
    """Raw data broke the contract; `problems` lists every broken rule."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"raw data breaks the data contract ({len(problems)} problem(s)):\n{lines}"
        )


def _column_schema(col: Column) -> pa.Column:
    import pandera.pandas as pa

    checks = []
    if col.categories:
        checks.append(pa.Check.isin(list(col.categories)))
    if col.minimum is not None:
        checks.append(pa.Check.ge(col.minimum))
    if col.maximum is not None:
        checks.append(pa.Check.le(col.maximum))
    dtype = {"int": "int64", "float": "float64", "category": "str"}[col.kind]
    # Integers with a tolerated null arrive as float; accept numbers, then range-check.
    if col.kind == "int" and col.nullable:
        dtype = "float64"
    return pa.Column(dtype, checks=checks, nullable=True, coerce=col.kind == "float")


def build_schema(contract: Contract = CREDIT_CONTRACT) -> pa.DataFrameSchema:
    """Turn the plain-data contract into a pandera schema (types, categories, ranges)."""
    import pandera.pandas as pa

    columns = {c.name: _column_schema(c) for c in contract.features}
    columns[contract.id_column] = pa.Column("int64", unique=True)
    columns[contract.target] = pa.Column("str", pa.Check.isin(list(contract.target_classes)))
    return pa.DataFrameSchema(columns, strict=True, ordered=False)


def _describe_failure(column: str, check: str, cases: list[object]) -> Problem:
    shown = ", ".join(repr(c) for c in cases[:5]) + (" …" if len(cases) > 5 else "")
    if check.startswith("isin"):
        return Problem(column, f"one of {check[len('isin(') : -1]}", f"unknown value(s) {shown}")
    if check == "column_in_dataframe":
        return Problem(column, "the column to be present", "it is missing")
    if check == "column_in_schema":
        return Problem(column, "no such column (contract is strict)", "an unexpected column")
    if check.startswith("dtype"):
        return Problem(column, f"type {check[len('dtype(') : -1]}", f"type {shown}")
    return Problem(column, f"values passing {check}", f"{len(cases)} failing value(s): {shown}")


def null_rate_problems(df: pd.DataFrame, contract: Contract = CREDIT_CONTRACT) -> list[Problem]:
    """Columns whose share of missing values exceeds the contract's bound."""
    problems = []
    for col in contract.features:
        if col.name not in df:
            continue
        rate = float(df[col.name].isna().mean())
        if rate > col.max_null_rate:
            problems.append(
                Problem(col.name, f"null rate <= {col.max_null_rate:.2%}", f"{rate:.2%} null")
            )
    return problems


def check(df: pd.DataFrame, contract: Contract = CREDIT_CONTRACT) -> list[Problem]:
    """Return every contract problem in `df` (empty when the data is valid)."""
    import pandera.errors as pae

    problems: list[Problem] = []
    try:
        build_schema(contract).validate(df, lazy=True)
    except pae.SchemaErrors as err:
        cases = err.failure_cases
        for (column, chk), group in cases.groupby(["column", "check"], dropna=False, sort=False):
            missing_name = column is None or column != column  # NaN: frame-level failure
            name = str(group["failure_case"].iloc[0]) if missing_name else str(column)
            problems.append(_describe_failure(name, str(chk), group["failure_case"].tolist()))
    # A wrong dtype makes every range check fail too; report the root cause once.
    mistyped = {p.column for p in problems if p.expected.startswith("type ")}
    problems = [p for p in problems if p.column not in mistyped or p.expected.startswith("type ")]
    problems.extend(null_rate_problems(df, contract))
    if len(df) < contract.min_rows:
        problems.append(Problem("<rows>", f">= {contract.min_rows} rows", f"{len(df)} rows"))
    return problems


def validate(df: pd.DataFrame, contract: Contract = CREDIT_CONTRACT) -> None:
    """Raise ContractError listing every problem, or return when the data is valid."""
    problems = check(df, contract)
    if problems:
        raise ContractError(problems)
