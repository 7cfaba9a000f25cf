"""The PrometheusRule reads what the server exports, within a version, and alerts on no data."""

from __future__ import annotations

import re

import pytest

from tests.unit.monitoring_helpers import (
    environments,
    exported_names,
    metric_names,
    recorded_names,
    rules,
)

pytestmark = pytest.mark.unit


def test_metric_names_finds_series_not_functions_labels_or_numbers() -> None:
    expr = (
        'histogram_quantile(0.5, sum by (namespace, le) (rate(a_bucket{le="0.5",x=~"b.*"}[1h])))'
        " / on (namespace) group_left b:rec:1h > 1e-3 and c offset 1h unless bool d"
    )
    assert metric_names(expr) == {"a_bucket", "b:rec:1h", "c", "d"}


def test_rules_read_only_what_the_server_exports() -> None:
    allowed = exported_names() | recorded_names()
    for rule in rules():
        unknown = metric_names(rule["expr"]) - allowed
        assert not unknown, f"{rule.get('record') or rule.get('alert')}: {unknown} not exported"


def test_the_threshold_is_the_servers_never_restated() -> None:
    """The bad share counts the server's positive decisions, not a bucket edge picked here."""
    exprs = " ".join(r["expr"] for r in rules())
    assert 'le="' not in exprs, "a hard-coded threshold (and le counts p <= le, not p >= t)"
    shares = [r for r in rules() if "positive_decisions:share" in r.get("record", "")]
    assert len(shares) == 2
    for rule in shares:
        assert metric_names(rule["expr"]) == {
            "model_positive_decisions_total",
            "model_prediction_score_count",
        }


def test_every_score_aggregation_keeps_the_version() -> None:
    """A promotion must not be compared with the model it replaced."""
    for rule in rules():
        if "model_" not in rule["expr"] or "absent(" in rule["expr"]:
            continue
        for grouping in re.findall(r"\bby \(([^)]*)\)", rule["expr"]):
            labels = {g.strip() for g in grouping.split(",")}
            assert {"namespace", "version"} <= labels, f"{rule}: by ({grouping})"


def test_shift_alerts_are_guarded_and_documented() -> None:
    alerts = [r for r in rules() if "alert" in r]
    shifts = [a for a in alerts if a["alert"].endswith("Shift")]
    assert len(shifts) == 3
    for alert in alerts:
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert {"summary", "description", "runbook_url"} <= set(alert["annotations"])
    for alert in shifts:
        assert "count:rate1h > 0.01" in alert["expr"], f"{alert['alert']}: no traffic guard"
        used = {n for n in metric_names(alert["expr"]) if ":" in n}
        assert used and used <= recorded_names(), used - recorded_names()


def test_no_scrape_is_an_alert_for_every_environment() -> None:
    (absent,) = [r for r in rules() if "absent(" in r.get("expr", "")]
    watched = set(re.findall(r'absent\(model_ready\{namespace="([^"]+)"\}\)', absent["expr"]))
    assert watched == environments()
    assert absent["labels"]["severity"] == "critical"
