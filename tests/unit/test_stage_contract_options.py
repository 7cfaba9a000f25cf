"""Stages take a model's contract: its id column, target and positive class, not credit's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from model.core.contract_file import dump, load_or_default
from model.core.features import target
from model.core.schema import CREDIT_CONTRACT, Column, Contract
from model.pipeline.prepare import split

pytestmark = pytest.mark.unit

CHURN = Contract(
    features=(Column("tenure", "int", minimum=0, maximum=80),),
    id_column="cid", target="churn", target_classes=("No", "Yes"),
)  # fmt: skip


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"cid": range(100, 0, -1), "tenure": range(100), "churn": ["Yes", "No", "No", "No"] * 25}
    )


def test_split_uses_the_contracts_id_and_target() -> None:
    train, test = split(frame(), test_size=0.2, seed=1, id_column="cid", target="churn")
    assert len(test) == 20 and test["churn"].eq("Yes").sum() == 5  # stratified by churn
    assert list(test["cid"]) == sorted(test["cid"])  # sorted by the contract's id
    assert set(train["cid"]).isdisjoint(test["cid"])


def test_target_is_the_contracts_positive_class() -> None:
    assert target(frame(), CHURN).tolist()[:4] == [1, 0, 0, 0]
    credit = pd.DataFrame({"Status": ["bad", "good"]})
    assert target(credit, CREDIT_CONTRACT).tolist() == target(credit).tolist() == [1, 0]


def test_no_contract_path_means_the_credit_contract(tmp_path: Path) -> None:
    assert load_or_default(None) is CREDIT_CONTRACT
    path = tmp_path / "contract.yaml"
    path.write_text(dump(CHURN))
    assert load_or_default(path) == CHURN
