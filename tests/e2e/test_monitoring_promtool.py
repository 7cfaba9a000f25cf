"""The PrometheusRule passes `promtool check rules` and its unit tests (k8s/monitoring/tests)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.tools import require

pytestmark = pytest.mark.e2e

MONITORING = ROOT / "k8s" / "monitoring"
RULE = MONITORING / "credit-scoring-prometheusrule.yaml"
SCENARIOS = sorted((MONITORING / "tests").glob("*.yaml"))
RULES_FILE = "credit-scoring-rules.yaml"  # the name every scenario's rule_files points at


def _stage(tmp_path: Path, spec: dict, scenario: Path) -> Path:
    """The CRD's spec as a plain rules file next to a copy of the scenario; returns the copy."""
    (tmp_path / RULES_FILE).write_text(yaml.safe_dump(spec, sort_keys=False))
    return Path(shutil.copy(scenario, tmp_path / scenario.name))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("promtool"), *args], capture_output=True, text=True, check=False, timeout=300
    )


def _spec() -> dict:
    doc = yaml.safe_load(RULE.read_text())
    assert doc["kind"] == "PrometheusRule"
    return doc["spec"]


def test_scenarios_cover_the_issue() -> None:
    assert {p.stem for p in SCENARIOS} >= {"stable", "shift", "promotion", "absent"}
    for scenario in SCENARIOS:
        assert yaml.safe_load(scenario.read_text())["rule_files"] == [RULES_FILE], scenario


def test_promtool_check_rules(tmp_path: Path) -> None:
    (tmp_path / RULES_FILE).write_text(yaml.safe_dump(_spec()))
    out = _promtool("check", "rules", str(tmp_path / RULES_FILE))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_promtool_test_rules(scenario: Path, tmp_path: Path) -> None:
    out = _promtool("test", "rules", str(_stage(tmp_path, _spec(), scenario)))
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_baseline_mixing_versions_fails_the_promotion_scenario(tmp_path: Path) -> None:
    """The scenario can fail: group by namespace only (the old rules) and it alerts for days."""
    original = yaml.safe_dump(_spec(), sort_keys=False)
    mixed = original.replace("by (namespace, version", "by (namespace")
    assert mixed.count("by (namespace") == original.count("by (namespace, version") > 0
    staged = _stage(tmp_path, yaml.safe_load(mixed), MONITORING / "tests" / "promotion.yaml")
    out = _promtool("test", "rules", str(staged))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "alertname: CreditScoringScoreMeanShift, time: 8d" in out.stderr  # a day after
