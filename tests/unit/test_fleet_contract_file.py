"""The contract file: the credit contract round-trips; malformed files name the bad field."""

from __future__ import annotations

from dataclasses import replace

import pytest

from model.core.contract_file import ContractFileError, dump, loads, positive_class
from model.core.schema import CREDIT_CONTRACT, POSITIVE_CLASS, Column, Contract

pytestmark = pytest.mark.unit


def test_credit_contract_round_trips() -> None:
    assert loads(dump(CREDIT_CONTRACT)) == CREDIT_CONTRACT
    assert positive_class(loads(dump(CREDIT_CONTRACT))) == POSITIVE_CLASS


def test_a_changed_contract_round_trips_to_itself_not_to_the_credit_one() -> None:
    changed = replace(
        CREDIT_CONTRACT,
        target="y",
        target_classes=("no", "yes"),
        min_rows=7,
        extra={"note": "x"},
        features=(
            Column("a", "float", 0.25, (), -1.5, 2.5),
            Column("b", "category", 0, ("p", "q")),
        ),
    )
    back = loads(dump(changed))
    assert back == changed
    assert back != CREDIT_CONTRACT
    assert positive_class(back) == "yes"


GOOD = (
    "target: y\ntarget_classes: [n, p]\n"
    "features:\n  - {name: a, kind: int, minimum: 0, maximum: 9}\n"
)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[]", "expected a mapping"),
        ("target: y\n", "expected a mapping"),
        (GOOD + "surprise: 1\n", "expected a mapping"),
        (GOOD.replace("kind: int", "kind: text"), "features[0].kind"),
        (GOOD.replace("minimum: 0", "minimum: 10"), "minimum 10 is above maximum 9"),
        (GOOD.replace("minimum: 0", "minimum: .nan"), "features[0].minimum"),
        (GOOD.replace("minimum: 0", "minimum: true"), "features[0].minimum"),
        (GOOD.replace("maximum: 9}", "maximum: 9, max_null_rate: 2}"), "max_null_rate"),
        (GOOD.replace("kind: int", "kind: category"), "categories are required"),
        (GOOD.replace("[n, p]", "[p, p]"), "target_classes"),
        (GOOD.replace("[n, p]", "[a, b, c]"), "target_classes"),
        (GOOD.replace("name: a", "name: y"), "exclude the id and target"),
        (GOOD + "  - {name: a, kind: float}\n", "must be unique"),
        ("target: y\nfeatures: []\n", "non-empty list"),
        ("target: y\nmin_rows: 0\nfeatures: [{name: a, kind: int}]\n", "min_rows"),
        ("target: [y\n", "not YAML"),
    ],
)
def test_malformed_contract_files_are_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(ContractFileError, match=field.replace("[", r"\[").replace("]", r"\]")):
        loads(text, "c.yaml")


def test_good_file_loads() -> None:
    got = loads(GOOD)
    assert got == Contract(
        features=(Column("a", "int", 0.0, (), 0, 9),), target="y", target_classes=("n", "p")
    )
