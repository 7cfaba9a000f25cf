"""The data contract on the real credit_data set, and the three bad-data cases."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.core.contract import ContractError, check, validate
from model.core.dataset import packaged_bytes
from model.pipeline.validate import main as validate_main

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def raw_bytes() -> bytes:
    return packaged_bytes()


@pytest.fixture
def raw(raw_bytes: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(raw_bytes))


def test_real_data_satisfies_contract(raw: pd.DataFrame) -> None:
    assert len(raw) == 4454
    assert raw["Status"].value_counts().to_dict() == {"good": 3200, "bad": 1254}
    assert check(raw) == []


def test_real_data_has_missing_values_within_bounds(raw: pd.DataFrame) -> None:
    assert raw["Income"].isna().sum() == 381
    assert raw[["Home", "Marital", "Job", "Assets", "Debt"]].isna().sum().sum() > 0


def test_missing_column_is_named(raw: pd.DataFrame) -> None:
    with pytest.raises(ContractError) as err:
        validate(raw.drop(columns=["Job"]))
    assert "column 'Job': expected the column to be present; found it is missing" in str(err.value)


def test_unknown_category_is_named(raw: pd.DataFrame) -> None:
    raw.loc[10, "Home"] = "castle"
    problems = check(raw)
    assert len(problems) == 1
    assert problems[0].column == "Home"
    assert "'castle'" in problems[0].found and "owner" in problems[0].expected


def test_null_surge_is_named(raw: pd.DataFrame) -> None:
    raw.loc[raw.index[:1500], "Income"] = np.nan
    rate = raw["Income"].isna().mean()
    assert rate > 0.3
    problems = check(raw)
    assert [str(p) for p in problems] == [
        f"column 'Income': expected null rate <= 15.00%; found {rate:.2%} null"
    ]


def test_wrong_type_and_range(raw: pd.DataFrame) -> None:
    raw["Age"] = raw["Age"].astype(str)
    raw.loc[0, "Amount"] = -5
    found = {(p.column, p.expected.split(" ")[0]) for p in check(raw)}
    assert ("Age", "type") in found and ("Amount", "values") in found
    assert not any(c == "Age" and e == "values" for c, e in found)


def test_unexpected_column_and_duplicate_ids(raw: pd.DataFrame) -> None:
    raw["Leak"] = 1
    raw.loc[1, "rownames"] = raw.loc[0, "rownames"]
    columns = {p.column for p in check(raw)}
    assert {"Leak", "rownames"} <= columns


def test_stage_stops_pipeline_with_message(
    raw: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "raw.csv"
    raw.drop(columns=["Records"]).to_csv(bad, index=False)
    out = tmp_path / "validation.json"
    assert validate_main(["--raw", str(bad), "--out", str(out)]) == 1
    assert "column 'Records'" in capsys.readouterr().err
    assert not out.exists()


def test_stage_writes_summary_for_good_data(raw_bytes: bytes, tmp_path: Path) -> None:
    good = tmp_path / "raw.csv"
    good.write_bytes(raw_bytes)
    out = tmp_path / "validation.json"
    assert validate_main(["--raw", str(good), "--out", str(out)]) == 0
    assert '"rows": 4454' in out.read_text()


def test_packaged_bytes_match_pinned_md5(raw_bytes: bytes) -> None:
    import hashlib

    import yaml

    lock = yaml.safe_load(Path("dvc.lock").read_text())
    pinned = next(
        d["md5"] for d in lock["stages"]["validate"]["deps"] if d["path"] == "data/credit_data.csv"
    )
    assert hashlib.md5(raw_bytes).hexdigest() == pinned
