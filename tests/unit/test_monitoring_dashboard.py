"""The Grafana dashboard queries only series that exist: exported by the server or recorded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.unit.monitoring_helpers import DASHBOARD, exported_names, metric_names, recorded_names

pytestmark = pytest.mark.unit


def queries(dashboard: dict) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    stack = list(dashboard["panels"])
    while stack:
        panel = stack.pop()
        stack.extend(panel.get("panels", []))
        for target in panel.get("targets", []):
            yield f"{panel['title']} {target['refId']}", target["expr"]
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            # label_values(metric, label) is Grafana's, not PromQL: its first argument is a series.
            found = re.fullmatch(r"label_values\((\w+),\s*\w+\)", query)
            yield f"${var['name']}", found.group(1) if found else query


def unknown_series(dashboard: dict) -> dict[str, set[str]]:
    """Queries naming a series the server does not export and no rule records."""
    allowed = exported_names() | recorded_names()
    bad = {where: metric_names(expr) - allowed for where, expr in queries(dashboard)}
    return {where: names for where, names in bad.items() if names}


def test_every_query_reads_an_existing_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert len(list(queries(dashboard))) >= 10
    assert unknown_series(dashboard) == {}


def test_a_renamed_metric_is_caught() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    dashboard["panels"][1]["targets"][0]["expr"] = "rate(model_requests_total[5m])"
    assert list(unknown_series(dashboard).values()) == [{"model_requests_total"}]


def test_it_shows_traffic_latency_errors_versions_and_drift() -> None:
    exprs = " ".join(expr for _, expr in queries(json.loads(DASHBOARD.read_text())))
    for needed in (
        "model_http_requests_total",  # traffic and errors
        "model_http_request_duration_seconds_bucket",  # latency
        'status=~"5.."',  # errors
        "by (version, le)",  # score distribution per version
        "namespace_version:model_prediction_score_mean:7d",  # drift, as the alerts see it
        "model_decision_threshold",  # the server's threshold
    ):
        assert needed in exprs, needed


def test_datasource_and_environment_are_variables() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource", "namespace"}
    for where, expr in queries(dashboard):
        if not where.startswith("$"):
            assert 'namespace=~"$namespace"' in expr, where
