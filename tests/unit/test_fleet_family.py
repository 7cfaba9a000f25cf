"""A per-segment family: hostile segment values become safe names or are refused; rows filter."""

from __future__ import annotations

import pytest

from model.fleet.family import member_names, slug
from model.fleet.layout import FleetError, check_name
from model.fleet.scaffold import ID_COLUMN, source_frame

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("area_code_408", "telco-area-code-408"),
        ("Travel_Rarely", "telco-travel-rarely"),
        ("Bank transfer (automatic)", "telco-bank-transfer-automatic"),
        ("../../etc/passwd", "telco-etc-passwd"),
        ("$(id);rm -rf /", "telco-id-rm-rf"),
        ("408", "telco-408"),
    ],
)
def test_values_become_safe_model_names(value: str, name: str) -> None:
    got = member_names("telco", [value])
    assert got == {value: name}
    assert check_name(got[value]) == name  # the one name rule, not a second one


@pytest.mark.parametrize("value", ["", "---", "..", "日本", "caf\u00e9", "x" * 40, "\n"])
def test_values_that_make_no_safe_name_refuse_the_family(value: str) -> None:
    with pytest.raises(FleetError, match="segment value"):
        member_names("telco", ["ok", value])


def test_the_default_model_name_is_not_a_member() -> None:
    with pytest.raises(FleetError, match="no safe model name"):
        member_names("credit", ["scoring", "other"])


@pytest.mark.parametrize("pair", [("a b", "a-b"), ("A_B", "a b"), ("x.1", "X-1"), ("a  b", "a__b")])
def test_two_values_sharing_a_name_are_refused(pair: tuple[str, str]) -> None:
    with pytest.raises(FleetError, match="would both be"):
        member_names("telco", list(pair))


def test_a_hostile_family_name_is_refused() -> None:
    with pytest.raises(FleetError, match="model name"):
        member_names("../x", ["a", "b"])


def test_slug_keeps_only_letters_digits_and_single_dashes() -> None:
    assert slug("  Fiber optic -- 2 ") == "fiber-optic-2"


def test_a_member_holds_its_segments_rows_with_their_full_item_ids() -> None:
    full = source_frame("modeldata/mlc_churn")
    member = source_frame("modeldata/mlc_churn", {"column": "area_code", "value": "area_code_510"})
    chosen = full[full["area_code"] == "area_code_510"]
    assert "area_code" not in member.columns
    assert list(member[ID_COLUMN]) == list(chosen[ID_COLUMN])  # ids as in the whole dataset
    assert len(member) == len(chosen) < len(full)


@pytest.mark.parametrize(
    "segment", [{"column": "nope", "value": "x"}, {"column": "area_code"}, {"value": "x"}]
)
def test_a_malformed_segment_in_a_manifest_is_refused(segment: dict[str, str]) -> None:
    with pytest.raises(FleetError, match="segment"):
        source_frame("modeldata/mlc_churn", segment)
