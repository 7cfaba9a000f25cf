"""Tests take params.yaml's values from params.yaml, never as literals (issue 10, item 4).

Two tests once wrote `n_estimators: 200` into their expectations, so any PR that tuned it
turned ci/test red although nothing was wrong. This looks for the two shapes that did it:
the YAML text `key: value` (used to edit params.yaml) and `["section.key"] == "value"`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def literals(params: dict[str, Any]) -> list[str]:
    """The literal spellings of each current scalar param that a test must not hard-code."""
    out = []
    for section, body in params.items():
        for key, value in (body or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out += [f"{key}: {value}", f'["{section}.{key}"] == "{value}"']
    return out


def offending(text: str, spellings: list[str]) -> list[str]:
    """Lines of `text` that contain one of `spellings`."""
    return [line.strip() for line in text.splitlines() if any(s in line for s in spellings)]


def test_the_detector_finds_the_shapes_that_once_broke_ci() -> None:
    spellings = literals({"train": {"n_estimators": 200}})
    old = (
        'params.write_text(params.read_text().replace("n_estimators: 200", "n_estimators: 5"))\n'
        'assert run_.data.params["train.n_estimators"] == "200"\n'
        'rows = [{"param": "train.n_estimators", "old": 200, "new": 5}]\n'
    )
    assert len(offending(old, spellings)) == 2


def test_no_test_hard_codes_a_current_param_value() -> None:
    spellings = literals(yaml.safe_load((ROOT / "params.yaml").read_text()))
    here = Path(__file__).resolve()
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path != here and (lines := offending(path.read_text(encoding="utf-8"), spellings))
    }
    assert not found, (
        f"expected tests to read params.yaml's values, found literals: {found}; "
        "read them with yaml.safe_load(params.yaml) so a PR that tunes a param stays green"
    )
