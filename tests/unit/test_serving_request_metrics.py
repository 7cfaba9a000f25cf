"""The request collector writes what prometheus_client's Counter and Histogram wrote."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from model.serving.metrics import (
    LATENCY_BUCKETS,
    ModelLabels,
    RepositoryMetrics,
    RequestCollector,
)

pytestmark = pytest.mark.unit

OBSERVED = [
    ("/v1/predict", "POST", 200, 0.0004),
    ("/v1/predict", "POST", 200, 0.0005),  # on a bound: counted in that bucket (le)
    ("/v1/predict", "POST", 200, 0.0031),
    ("/v1/predict", "POST", 422, 0.0009),
    ("/v1/predict", "GET", 405, 0.00001),
    ("/v2/models/{name}/infer", "POST", 200, 3.0),  # beyond the last bound: +Inf only
    ("/v2/health/ready", "GET", 200, 0.0002),
    ("/v2/health/ready", "HEAD", 200, 0.02),  # same route and status: one latency series
    ("(connection)", "", 408, 0.0),
]


def _reference() -> bytes:
    registry = CollectorRegistry()
    requests = Counter(
        "model_http_requests",
        "HTTP requests by route, method and status.",
        ["route", "method", "status"],
        registry=registry,
    )
    latency = Histogram(
        "model_http_request_duration_seconds",
        "Request latency by route and status.",
        ["route", "status"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    for route, method, status, seconds in OBSERVED:
        requests.labels(route, method, str(status)).inc()
        latency.labels(route, str(status)).observe(seconds)
    return generate_latest(registry)


def _samples(text: bytes) -> list[str]:
    """Exposition lines, sorted, with creation timestamps masked (they differ by run)."""
    lines = text.decode().splitlines()
    return sorted(re.sub(r"(_created\{.*\}) \S+$", r"\1 T", line) for line in lines)


def test_exposition_matches_prometheus_client() -> None:
    registry = CollectorRegistry()
    collector = RequestCollector()
    registry.register(collector)
    for sample in OBSERVED:
        collector.observe(*sample)
    assert _samples(generate_latest(registry)) == _samples(_reference())


def test_an_unscraped_collector_writes_no_series() -> None:
    registry = CollectorRegistry()
    registry.register(RequestCollector())
    assert not [line for line in generate_latest(registry).decode().splitlines() if line[:1] != "#"]


def test_repository_scoring_counters_match_prometheus_client() -> None:
    names = [("a", 1), ("b", 1000), ("a", 3), ("c", 2), ("d", 1)]  # capacity 2: c, d -> other
    reference = CollectorRegistry()
    inferences = Counter(
        "model_repository_inferences",
        "Scored inference requests by model.",
        ["model"],
        registry=reference,
    )
    rows = Counter(
        "model_repository_rows_scored", "Rows scored by model.", ["model"], registry=reference
    )
    labels = ModelLabels(2)
    for name, n in names:
        inferences.labels(labels(name)).inc()
        rows.labels(labels(name)).inc(n)
    registry = CollectorRegistry()
    metrics = RepositoryMetrics(registry, 2)
    for name, n in names:
        metrics.scored(name, n)
    ours = [x for x in _samples(generate_latest(registry)) if "_inferences" in x or "_rows" in x]
    assert ours == _samples(generate_latest(reference))
