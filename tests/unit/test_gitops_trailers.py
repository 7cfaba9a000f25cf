"""Trailers: build, parse back through real `git log --format=%(trailers)`, metrics encoding."""

from __future__ import annotations

import pytest

from model.gitops.trailers import (
    format_metrics,
    from_pairs,
    message,
    parse_metrics,
    parse_pairs,
)
from tests.sample_release import RELEASE

pytestmark = pytest.mark.unit


def test_metrics_round_trip_and_malformed_pairs_ignored() -> None:
    text = format_metrics({"roc_auc": 0.83, "f1": 0.58})
    assert text == "f1=0.58,roc_auc=0.83"
    assert parse_metrics(text + ",broken,x=notanumber") == {"f1": 0.58, "roc_auc": 0.83}


def test_message_ends_with_a_trailer_block_in_fixed_order() -> None:
    msg = message("promote staging", "why", RELEASE)
    block = msg.strip().split("\n\n")[-1].splitlines()
    assert block[0] == "Environment: staging"
    assert [line.split(":")[0] for line in block][:6] == [
        "Environment",
        "Model-Version",
        "Model-Sha256",
        "Data-Md5",
        "Image",
        "Image-Digest",
    ]
    assert not any(line.startswith("Rollback-Of") for line in block)  # empty optional left out


def test_missing_required_trailer_is_not_a_promotion() -> None:
    pairs = parse_pairs(message("s", "", RELEASE).split("\n\n")[-1])
    assert from_pairs(pairs) == RELEASE
    del pairs["image-digest"]
    assert from_pairs(pairs) is None


def test_fast_and_checked_parsers_agree_and_the_fast_one_refuses_anything_unusual() -> None:
    from model.gitops.trailers import fast_release, parse_block

    full = RELEASE.with_(rollback_of="e" * 40, mlflow_run="0123abcd" * 4)
    for release in (RELEASE, full, RELEASE.with_(metrics="", source_pr="none")):
        block = "\x00".join(message("s", "", release).strip().split("\n\n")[-1].splitlines())
        pairs, problems = parse_block(block, "\x00")
        assert problems == [] and fast_release(block) == from_pairs(pairs) == release
    block = "\x00".join(message("s", "", RELEASE).strip().split("\n\n")[-1].splitlines())
    assert fast_release(block + "\x00Environment: prod") is None  # repeated key: slow path
    assert parse_block(block + "\x00environment: prod", "\x00")[1] == [
        "repeats the Environment trailer"
    ]
    assert fast_release(block.replace("Ada", "Ada\x1b[2J")) is None


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [("source_pr", "42", True), ("source_pr", "none", True), ("source_pr", "4 2", False),
     ("model_version", "1.2.0+b.7", True), ("model_version", "-rf", False),
     ("image_digest", "sha256:" + "a" * 64, True), ("image_digest", "sha256:A", False),
     ("promoted_by", "Zoë <z@x>", True), ("promoted_by", " Ada", False),
     ("promoted_by", "x" * 600, False), ("metrics", "f1=0.5\u2028x=1", False)],
)  # fmt: skip
def test_trailer_value_shapes(name: str, value: str, ok: bool) -> None:
    from model.gitops.trailers import problem

    assert (problem(name, value) is None) is ok
