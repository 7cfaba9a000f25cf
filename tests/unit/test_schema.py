import pytest

from model.core.schema import CREDIT_CONTRACT, Contract

pytestmark = pytest.mark.unit


def test_contract_round_trips_through_dict() -> None:
    again = Contract.from_dict(CREDIT_CONTRACT.to_dict())
    assert again == CREDIT_CONTRACT


def test_contract_shape() -> None:
    assert len(CREDIT_CONTRACT.features) == 13
    assert CREDIT_CONTRACT.categorical == ["Home", "Marital", "Records", "Job"]
    assert CREDIT_CONTRACT.column("Income").nullable
    assert not CREDIT_CONTRACT.column("Records").nullable
    with pytest.raises(KeyError):
        CREDIT_CONTRACT.column("Nope")
