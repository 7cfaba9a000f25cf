"""The `Model:` trailer: written last, checked by the fleet name rule, absent = default model."""

from __future__ import annotations

import pytest

from model.fleet.layout import FleetError, check_name
from model.gitops import DEFAULT_MODEL
from model.gitops.trailers import (
    TrailerError,
    check_release,
    fast_release,
    from_pairs,
    message,
    parse_block,
    problem,
)
from tests.sample_release import RELEASE

pytestmark = pytest.mark.unit


def _block(text: str) -> str:
    """The NUL-separated trailer block, as `model audit`'s git log format prints it."""
    return "\x00".join(text.strip().split("\n\n")[-1].splitlines())


def test_the_model_is_the_last_trailer_and_reads_back() -> None:
    churn = RELEASE.with_(model="churn")
    block = _block(message("promote", "", churn))
    assert block.split("\x00")[0] == "Environment: staging"
    assert block.split("\x00")[-1] == "Model: churn"
    pairs, problems = parse_block(block, "\x00")
    assert problems == [] and fast_release(block) == from_pairs(pairs) == churn


def test_a_commit_from_before_the_fleet_reads_as_the_default_model() -> None:
    old = "\x00".join(line for line in _block(message("p", "", RELEASE)).split("\x00")
                      if not line.startswith("Model:"))  # fmt: skip
    pairs, problems = parse_block(old, "\x00")
    assert problems == []
    fast, slow = fast_release(old), from_pairs(pairs)
    assert fast is not None and slow is not None
    assert fast.model == slow.model == DEFAULT_MODEL == "credit-scoring"


@pytest.mark.parametrize(
    ("value", "ok"),
    [("churn", True), ("loan-default", True), ("a" * 40, True), ("a" * 41, False),
     ("Churn", False), ("loan--default", False), ("-churn", False), ("churn-", False),
     ("9lives", False), ("churn\nEnvironment: prod", False), ("../prod", False), ("", False)],
)  # fmt: skip
def test_model_names_in_trailers_follow_the_fleet_rule(value: str, ok: bool) -> None:
    assert (problem("model", value) is None) is ok
    try:
        check_name(value)
        fleet_ok = True
    except FleetError:
        fleet_ok = False
    assert fleet_ok is ok  # one rule: the fleet's folders and the trailer agree
    if not ok:
        with pytest.raises(TrailerError, match="Model"):
            check_release(RELEASE.with_(model=value))


def test_a_hostile_model_trailer_is_not_trusted() -> None:
    block = _block(message("p", "", RELEASE)).replace("Model: credit-scoring", "Model: Churn!")
    assert fast_release(block) is None
    assert parse_block(block, "\x00")[1] and "Model 'Churn!'" in parse_block(block, "\x00")[1][0]
