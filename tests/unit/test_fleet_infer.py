"""Contract inference: kinds, categories, ranges with a margin, null bounds, the positive class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.core.contract import check
from model.fleet.infer import contract, gate
from model.fleet.layout import FleetError

pytestmark = pytest.mark.unit


def frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    income = rng.uniform(10, 110, n)
    income[:4] = np.nan  # 10% missing
    return pd.DataFrame(
        {
            "rownames": range(1, n + 1),
            "age": rng.integers(20, 61, n),
            "income": income,
            "plan": rng.choice(["basic", "gold"], n),
            "visits": [0, 4] * (n // 2),
            "flag": [0, 1] * (n // 2),
            "y": ["yes"] * 10 + ["no"] * (n - 10),
        }
    )


def test_kinds_ranges_nulls_and_classes() -> None:
    df = frame()
    got = contract(df, "y", "rownames", None)
    age, income, plan = (got.column(c) for c in ("age", "income", "plan"))
    assert (age.kind, income.kind, plan.kind) == ("int", "float", "category")
    span = df["age"].max() - df["age"].min()
    assert age.minimum == np.floor(df["age"].min() - 0.1 * span)
    assert age.maximum == np.ceil(df["age"].max() + 0.1 * span)
    assert got.column("visits").minimum == 0  # not -0.4 rounded down: counts stay >= 0
    low = df["income"].min() - 0.1 * np.ptp(df["income"].dropna())
    assert income.minimum == pytest.approx(low, abs=1e-6)  # rounded to 6 places
    assert income.max_null_rate == 0.2 and age.max_null_rate == 0  # 2 x 10% observed
    assert plan.categories == ("basic", "gold")
    assert got.target_classes == ("no", "yes")  # the rarer class is the positive, last
    assert got.feature_names == ["age", "income", "plan", "visits", "flag"]
    assert (got.column("flag").minimum, got.column("flag").maximum) == (0, 1)  # a flag stays 0/1
    assert check(df, got) == []


def test_explicit_positive_and_bad_targets() -> None:
    df = frame()
    assert contract(df, "y", "rownames", "no").target_classes == ("yes", "no")
    with pytest.raises(FleetError, match="--positive"):
        contract(df, "y", "rownames", "maybe")
    with pytest.raises(FleetError, match="exactly two classes"):
        contract(df, "age", "rownames", None)


def test_the_contract_catches_data_outside_what_it_saw() -> None:
    df = frame()
    got = contract(df, "y", "rownames", None)
    bad = df.copy()
    bad.loc[0, "age"] = 500
    bad.loc[1, "plan"] = "platinum"
    assert {p.column for p in check(bad, got)} == {"age", "plan"}


def test_gate_segments_on_low_cardinality_categories() -> None:
    default = {"metrics": {"roc_auc": {}}, "segments": {"min_rows": 30, "by": {"age": {}}}}
    got = gate(default, contract(frame(), "y", "rownames", None))
    assert got["segments"] == {"min_rows": 30, "by": {"plan": {"column": "plan"}}}
    assert got["metrics"] == default["metrics"]
