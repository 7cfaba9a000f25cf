"""Request validation derived from the data contract stored with the model, never rewritten.

Validation produces columns (feature name -> list of values) ready for the ONNX feed:
numbers as Python floats (null -> NaN, imputed by the model), categories as strings
(null -> "missing", the token the encoder was trained with).
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from model.core.schema import Column, Contract

MISSING_CATEGORY = (
    "missing"  # same token as model.core.features.MISSING_CATEGORY (pandas-free copy)
)
FLOAT32_MAX = 3.4028234663852886e38
NAN = float("nan")
NONE = type(None)
INF = float("inf")
BIG = 2**128  # an int beyond float32's range: refused without float()'s OverflowError
FAST_MIN_ROWS = 8  # below this, numpy's per-call overhead costs more than it saves

Columns = dict[str, list[Any]]
Checker = Callable[[Any, str], Any]


class RequestError(Exception):
    """A bad request: carries the HTTP status and a message naming the field and the problem."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _show(value: Any) -> str:
    """A short, safe rendering of a client value for error messages."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: Any) -> str:
    return {bool: "boolean", str: "string", list: "array", dict: "object", type(None): "null"}.get(
        type(value), "number"
    )


def _number_checker(col: Column) -> Checker:
    """Checker for an int/float feature: finite, representable in float32, integral for ints."""
    integral = col.kind == "int"
    nullable = col.nullable

    def check(value: Any, where: str) -> float:
        kind = type(value)
        if kind is not int and kind is not float:
            if value is None:
                if nullable:
                    return NAN
                raise RequestError(422, f"{where}: is required and may not be null")
            raise RequestError(
                422, f"{where}: expected a number, got {_type_name(value)} {_show(value)}"
            )
        try:
            number = float(value)
        except OverflowError:
            raise RequestError(422, f"{where}: number {_show(value)} is out of range") from None
        if not math.isfinite(number):
            raise RequestError(422, f"{where}: expected a finite number, got {number!r}")
        if abs(number) > FLOAT32_MAX:
            raise RequestError(422, f"{where}: number {_show(value)} is out of range for float32")
        if integral and kind is float and not number.is_integer():
            raise RequestError(422, f"{where}: expected an integer, got {_show(value)}")
        return number

    return check


def _category_checker(col: Column) -> Checker:
    """Checker for a categorical feature: one of the contract's categories, or null if allowed."""
    allowed = frozenset(col.categories)
    listed = ", ".join(col.categories)
    nullable = col.nullable

    def check(value: Any, where: str) -> str:
        if type(value) is str:
            if value in allowed:
                return value
            raise RequestError(
                422, f"{where}: unknown category {_show(value)}; expected one of: {listed}"
            )
        if value is None:
            if nullable:
                return MISSING_CATEGORY
            raise RequestError(422, f"{where}: is required and may not be null")
        raise RequestError(
            422, f"{where}: expected a string, got {_type_name(value)} {_show(value)}"
        )

    return check


def _fast_column(col: Column, values: list[Any]) -> Any:
    """Vectorised check of one column; None means "something is off: take the precise path"."""
    kinds = set(map(type, values))
    if col.kind == "category":
        if not kinds <= ({str, NONE} if col.nullable else {str}):
            return None
        distinct = set(values)
        distinct.discard(None)
        if not distinct <= set(col.categories):
            return None
        return [MISSING_CATEGORY if v is None else v for v in values] if NONE in kinds else values
    if not kinds <= ({int, float, NONE} if col.nullable else {int, float}):
        return None
    try:
        array = np.array(values, dtype=np.float64)  # None -> NaN, which the model imputes
    except (OverflowError, ValueError, TypeError):
        return None
    finite = np.isfinite(array)
    if not finite.all() and int((~finite).sum()) != values.count(None):
        return None  # a NaN or inf that was not a null: let the precise path name it
    numbers = array[finite]
    if numbers.size and np.abs(numbers).max() > FLOAT32_MAX:
        return None
    if col.kind == "int" and float in kinds and not (numbers == np.trunc(numbers)).all():
        return None
    return array


@dataclass(frozen=True)
class Field:
    """One request field, compiled from a contract column."""

    column: Column
    check: Checker

    @property
    def name(self) -> str:
        """Feature name."""
        return self.column.name

    def check_all(self, values: list[Any], where: Callable[[int], str]) -> Any:
        """Validate a whole column: vectorised when large, per value (naming the bad one) else."""
        if len(values) >= FAST_MIN_ROWS:
            fast = _fast_column(self.column, values)
            if fast is not None:
                return fast
        return [self.check(v, where(i)) for i, v in enumerate(values)]


class RequestSchema:
    """Validates request bodies against the contract that was stored with the model."""

    def __init__(self, contract: Contract, max_rows: int) -> None:
        self.contract = contract
        self.max_rows = max_rows
        self.fields = tuple(
            Field(c, _category_checker(c) if c.kind == "category" else _number_checker(c))
            for c in contract.features
        )
        self.names = tuple(f.name for f in self.fields)
        self.by_name = {f.name: f for f in self.fields}
        self._known = frozenset(self.names)
        self._getter = operator.itemgetter(*self.names)
        # (name, allowed categories or None, nullable, integral) for the one-row fast path
        self.plan = tuple(
            (c.name, frozenset(c.categories) if c.kind == "category" else None, c.nullable,
             c.kind == "int")
            for c in contract.features
        )  # fmt: skip

    @classmethod
    def from_model_meta(cls, meta: dict[str, Any], max_rows: int) -> RequestSchema:
        """Build from models/model.json's "contract" key."""
        if "contract" not in meta:
            raise ValueError("model.json has no 'contract' key; retrain with the current pipeline")
        return cls(Contract.from_dict(meta["contract"]), max_rows)

    def check_rows(self, n: int, where: str) -> None:
        """Refuse empty batches and batches over the configured maximum."""
        if n < 1:
            raise RequestError(422, f"{where}: expected at least 1 row, got 0")
        if n > self.max_rows:
            raise RequestError(
                422,
                f"{where}: {n} rows exceed the limit of {self.max_rows} per request; split it",
            )

    def instances(self, body: Any) -> tuple[Columns, int]:
        """Validate a /v1/predict body {"instances": [{feature: value}, ...]} into columns."""
        if type(body) is not dict:
            raise RequestError(
                422, f"body: expected an object with 'instances', got {_type_name(body)}"
            )
        extra = [k for k in body if k != "instances"]
        if extra:
            raise RequestError(422, f"body.{extra[0]}: unknown field; only 'instances' is accepted")
        rows = body.get("instances")
        if type(rows) is not list:
            raise RequestError(
                422, f"instances: expected an array of objects, got {_type_name(rows)}"
            )
        self.check_rows(len(rows), "instances")
        if len(rows) == 1 and type(rows[0]) is dict:
            one = self._one(rows[0])
            if one is not None:
                return one, 1
        if len(rows) >= FAST_MIN_ROWS and all(
            type(r) is dict and r.keys() == self._known for r in rows
        ):
            return self._columns(rows), len(rows)
        columns: Columns = {name: [] for name in self.names}
        for i, row in enumerate(rows):
            self._row(row, i, columns)
        return columns, len(rows)

    def _one(self, row: dict[str, Any]) -> Columns | None:
        """A complete, valid single row as columns; None sends it down the precise path."""
        if len(row) != len(self.plan):
            return None
        columns: Columns = {}
        for name, allowed, nullable, integral in self.plan:
            value = row.get(name, row)  # `row` itself marks a missing key
            kind = type(value)
            if allowed is not None:
                if kind is str and value in allowed:
                    columns[name] = [value]
                elif value is None and nullable:
                    columns[name] = [MISSING_CATEGORY]
                else:
                    return None
            elif kind is float or kind is int:
                number = float(value) if kind is float or -BIG < value < BIG else INF
                if not -FLOAT32_MAX <= number <= FLOAT32_MAX:
                    return None  # inf, NaN (comparisons fail) or out of float32's range
                if integral and kind is float and not number.is_integer():
                    return None
                columns[name] = [number]
            elif value is None and nullable:
                columns[name] = [NAN]
            else:
                return None
        return columns

    def _columns(self, rows: list[dict[str, Any]]) -> Columns:
        """Column-wise validation of complete rows (the fast path for batches)."""
        columns: Columns = {}
        transposed = zip(*map(self._getter, rows), strict=True)  # C-speed row -> column pivot
        for field, values in zip(self.fields, transposed, strict=True):
            where = lambda i, n=field.name: f"instances[{i}].{n}"  # noqa: E731
            columns[field.name] = field.check_all(list(values), where)
        return columns

    def _row(self, row: Any, i: int, columns: Columns) -> None:
        """Append one validated instance to `columns`."""
        if type(row) is not dict:
            raise RequestError(422, f"instances[{i}]: expected an object, got {_type_name(row)}")
        if len(row) != len(self.names) or not self._known.issuperset(row):
            for key in row:
                if key not in self._known:
                    raise RequestError(
                        422,
                        f"instances[{i}].{key}: unknown field; expected: {', '.join(self.names)}",
                    )
        for field in self.fields:
            name = field.name
            if name in row:
                value = row[name]
            elif field.column.nullable:
                value = None
            else:
                raise RequestError(422, f"instances[{i}].{name}: required field is missing")
            columns[name].append(field.check(value, f"instances[{i}].{name}"))


def parse_json(body: bytes) -> Any:
    """Parse a UTF-8 JSON body; NaN/Infinity literals are parsed so validation can name them."""
    if not body:
        raise RequestError(400, "body: empty; expected a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        fast_error = str(err)
    # The stdlib parser accepts NaN/Infinity and huge numbers, which validation then names;
    # but it also accepts UTF-16 and lone surrogate escapes, which no response can echo.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "body: not valid UTF-8; send JSON encoded as UTF-8") from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise RequestError(400, f"body: malformed JSON: {fast_error}") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(
            400,
            "body: a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its "
            "pair); send valid Unicode",
        ) from None
    return value
