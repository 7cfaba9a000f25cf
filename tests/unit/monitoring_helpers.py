"""What the monitoring manifests may query: the server's metric names and the recorded rules."""

from __future__ import annotations

import re

import yaml
from prometheus_client.parser import text_string_to_metric_families

from model.serving.metrics import Metrics
from tests.conftest import ROOT

MONITORING = ROOT / "k8s" / "monitoring"
RULE = MONITORING / "credit-scoring-prometheusrule.yaml"
DASHBOARD = MONITORING / "credit-scoring-dashboard.json"
APPSET = ROOT / "argocd" / "projects" / "credit-scoring-applicationset.yaml"

# PromQL words that look like identifiers but name no series.
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or"}
_KEYWORDS |= {"unless", "bool", "offset", "inf", "nan"}


def exported_names() -> set[str]:
    """Series names in the /metrics text of a server that scored rows and answered requests."""
    metrics = Metrics({"name": "credit-scoring", "version": "v1", "sha256": "0", "git_commit": ""})
    metrics.scores.threshold = 0.5  # set by the server once its model is loaded
    metrics.scores.observe([0.1, 0.5, 0.9])
    metrics.observe_request("/v1/predict", "POST", 200, 0.01)
    text = metrics.render().decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def rules() -> list[dict]:
    """Every rule of the PrometheusRule, all groups."""
    doc = yaml.safe_load(RULE.read_text())
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    return [r for group in doc["spec"]["groups"] for r in group["rules"]]


def recorded_names() -> set[str]:
    """Series the recording rules create."""
    return {r["record"] for r in rules() if "record" in r}


def environments() -> set[str]:
    """The namespaces the ApplicationSet deploys the server to."""
    appset = yaml.safe_load(APPSET.read_text())
    (generator,) = appset["spec"]["generators"]
    pattern = appset["spec"]["template"]["spec"]["destination"]["namespace"]
    return {pattern.replace("{{.env}}", e["env"]) for e in generator["list"]["elements"]}


def metric_names(expr: str) -> set[str]:
    """Series names a PromQL expression reads (functions, keywords and labels removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings may hold anything
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)  # label matchers, ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"(?<![\w:])\d[\w.]*", " ", text)  # numbers and durations (0.5, 1e3, 1h)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][\w:]*", text):
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function call
        if match.group().lower() not in _KEYWORDS:
            names.add(match.group())
    return names
