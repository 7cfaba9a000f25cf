"""The score-shift PrometheusRule reads the histogram the server really exports."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
import yaml

from model.serving.metrics import SCORE_EDGES, ScoreCollector
from tests.conftest import ROOT
from tests.tools import require

pytestmark = pytest.mark.unit

RULE = ROOT / "k8s" / "monitoring" / "credit-scoring-prometheusrule.yaml"


def rules() -> list[dict]:
    doc = yaml.safe_load(RULE.read_text())
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    return [r for group in doc["spec"]["groups"] for r in group["rules"]]


def server_histogram() -> tuple[str, set[str]]:
    """The score histogram's name and `le` labels, as the server exposes them."""
    collector = ScoreCollector()
    collector.observe(np.array([0.1, 0.5, 0.9]))
    family = next(f for f in collector.collect() if f.type == "histogram")
    les = {s.labels["le"] for s in family.samples if s.name.endswith("_bucket")}
    return family.name, les


def test_rules_use_the_servers_score_histogram() -> None:
    name, les = server_histogram()
    exprs = [r["expr"] for r in rules()]
    raw = [e for e in exprs if "model_prediction_score_" in e and ":" not in e.split("(")[0]]
    assert raw, "no rule reads the raw histogram"
    for expr in exprs:
        raw_expr = re.sub(r"namespace:[\w:]+", "", expr)  # recorded series, not the server's
        for metric in re.findall(r"\b(model_prediction_score_\w+)\b", raw_expr):
            assert metric in {f"{name}_bucket", f"{name}_sum", f"{name}_count"}, metric
        for le in re.findall(r'le="([^"]+)"', expr):
            assert le in les, f'le="{le}" is not a bucket the server exports ({sorted(les)})'
    assert 0.5 in SCORE_EDGES  # the decision threshold is a bucket edge, so the share is exact


def test_every_alert_is_guarded_and_documented() -> None:
    alerts = [r for r in rules() if "alert" in r]
    recorded = {r["record"] for r in rules() if "record" in r}
    assert len(alerts) == 3
    for alert in alerts:
        assert "count:rate1h > 0.01" in alert["expr"], f"{alert['alert']}: no traffic guard"
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert {"summary", "description", "runbook_url"} <= set(alert["annotations"])
        assert alert["expr"].count("(") == alert["expr"].count(")")
        used = set(re.findall(r"namespace:[\w:]+", alert["expr"]))
        assert used and used <= recorded, used - recorded


def test_kustomize_builds_the_monitoring_dir() -> None:
    kubectl = require("kubectl")
    out = subprocess.run(
        [kubectl, "kustomize", str(RULE.parent)], capture_output=True, text=True, check=True
    ).stdout
    (doc,) = [d for d in yaml.safe_load_all(out) if d]
    assert doc["kind"] == "PrometheusRule" and doc["metadata"]["namespace"] == "monitoring"
