"""Prometheus metrics: requests and latency by route and status, scores, rows, model info."""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
INF = float("inf")
SCORE_EDGES = np.round(np.arange(1, 21) * 0.05, 2)  # 0.05 … 1.0


def _by_version(
    kind: type[CounterMetricFamily | GaugeMetricFamily],
    name: str,
    doc: str,
    version: list[str],
    value: float,
) -> Metric:
    """A metric family with one sample, labelled with the model version."""
    family = kind(name, doc, labels=["version"])
    family.add_metric(version, value)
    return family


class ScoreCollector(Collector):
    """Score histogram and rows counter updated with numpy: a 1,000-row batch costs one call."""

    def __init__(self, version: str = "") -> None:
        # Python ints: one row adds 1 to one bucket, which costs ~1 us on a numpy array
        self._counts = [0] * len(SCORE_EDGES)
        self._edges = SCORE_EDGES.tolist()
        self.total = 0.0
        self.rows = 0
        self.runs = 0  # model runs: rows / runs is the mean batch (asgi.BaseServer.flush)
        self.sample_errors = 0
        # Scores carry the model version, so alerts compare a model with itself, never with
        # the one it replaced; the threshold and the positives counted at it come from the
        # server, so no rule restates the model's threshold.
        self.version = version
        self.threshold: float | None = None
        self.positives = 0

    @property
    def counts(self) -> np.ndarray:
        """Rows per score bucket (not cumulative)."""
        return np.array(self._counts, dtype=np.int64)

    def observe(self, scores: list[float]) -> None:
        """Add a batch of scores (all in [0, 1])."""
        last = len(SCORE_EDGES) - 1
        cut = self.threshold if self.threshold is not None else INF
        counts = self._counts
        if len(scores) <= 32:  # numpy's per-call overhead dominates tiny batches
            for score in scores:
                counts[min(bisect_left(self._edges, score), last)] += 1
                self.positives += score >= cut  # the server's own rule: p >= threshold
            self.total += sum(scores)
        else:  # one conversion to numpy, then C loops only (a 1,000-row batch: 120 -> 40 us)
            values = np.asarray(scores, dtype=np.float64)
            idx = np.searchsorted(SCORE_EDGES, values, side="left").clip(0, last)
            for i, count in enumerate(np.bincount(idx, minlength=len(SCORE_EDGES)).tolist()):
                counts[i] += count
            self.positives += int(np.count_nonzero(values >= cut))
            self.total += float(values.sum())
        self.rows += len(scores)
        self.runs += 1

    def collect(self) -> Iterator[Metric]:
        """Expose current values to the registry."""
        cumulative = np.cumsum(self._counts)
        buckets: list[tuple[str, float]] = [
            (f"{e:g}", float(c)) for e, c in zip(SCORE_EDGES, cumulative, strict=True)
        ]
        buckets.append(("+Inf", float(self.rows)))
        version = [self.version]
        score = HistogramMetricFamily(
            "model_prediction_score", "Predicted P(default) per scored row.", labels=["version"]
        )
        score.add_metric(version, buckets=buckets, sum_value=self.total)
        yield score
        doc = "Rows scored by the model."
        yield _by_version(CounterMetricFamily, "model_rows_scored", doc, version, self.rows)
        doc = "Model runs that scored rows; rows scored / runs is the mean batch."
        yield _by_version(CounterMetricFamily, "model_scoring_runs", doc, version, self.runs)
        if self.threshold is not None:
            doc = "Rows scored at or above the decision threshold (labelled positive)."
            yield _by_version(
                CounterMetricFamily, "model_positive_decisions", doc, version, self.positives
            )
            doc = "P(default) at or above which a row is labelled positive."
            yield _by_version(
                GaugeMetricFamily, "model_decision_threshold", doc, version, self.threshold
            )
        yield CounterMetricFamily(
            "model_sample_write_errors",
            "Failed writes of drift samples (requests still served).",
            value=self.sample_errors,
        )


class RequestCollector(Collector):
    """Requests by route, method and status, and their latency by route and status.

    Plain Python numbers, turned into metric families on scrape: prometheus_client's
    Counter.inc plus Histogram.observe take four locks and ~2 us a request, while a worker
    runs one event loop and needs none. The exposition is the one those classes wrote.
    """

    def __init__(self) -> None:
        # (route, method, status) -> [count, latency sum, created, bucket counts...]
        self.series: dict[tuple[str, str, int], list[float]] = {}
        self._bounds = list(LATENCY_BUCKETS)
        self._empty = [0] * (len(LATENCY_BUCKETS) + 1)  # the last bucket is +Inf

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request taking `seconds` (the first bucket whose bound is >= it)."""
        key = (route, method, status)
        row = self.series.get(key)
        if row is None:
            row = self.series[key] = [0, 0.0, time.time(), *self._empty]
        row[0] += 1
        row[1] += seconds
        row[3 + bisect_left(self._bounds, seconds)] += 1

    def collect(self) -> Iterator[Metric]:
        """The requests counter and the latency histogram (methods summed per route/status)."""
        requests = CounterMetricFamily(
            "model_http_requests",
            "HTTP requests by route, method and status.",
            labels=["route", "method", "status"],
        )
        latency: dict[tuple[str, str], list[float]] = {}
        for (route, method, status), row in list(self.series.items()):
            requests.add_metric([route, method, str(status)], row[0], created=row[2])
            merged = latency.setdefault((route, str(status)), [0, 0.0, row[2], *self._empty])
            merged[1] += row[1]
            merged[2] = min(merged[2], row[2])
            for i, count in enumerate(row[3:], 3):
                merged[i] += count
        yield requests
        help_text = "Request latency by route and status."
        histogram = HistogramMetricFamily(
            "model_http_request_duration_seconds", help_text, labels=["route", "status"]
        )
        created = GaugeMetricFamily(
            "model_http_request_duration_seconds_created", help_text, labels=["route", "status"]
        )
        edges = [*(floatToGoString(b) for b in self._bounds), "+Inf"]
        for labels, row in latency.items():
            cumulative = list(accumulate(row[3:]))
            histogram.add_metric(labels, list(zip(edges, cumulative, strict=True)), row[1])
            created.add_metric(labels, row[2])
        yield histogram
        yield created


class Metrics:
    """One registry per app instance, so tests and workers never share global state."""

    def __init__(self, info: dict[str, str]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = RequestCollector()
        self.registry.register(self.requests)
        Gauge(
            "model_info",
            "The served model (value is always 1).",
            list(info),
            registry=self.registry,
        ).labels(**info).set(1)
        self.ready = Gauge(
            "model_ready",
            "1 when the model passed integrity checks and loaded.",
            registry=self.registry,
        )
        self.scores = ScoreCollector(info.get("version", ""))
        self.registry.register(self.scores)
        self.offloaded = Gauge(
            "model_scoring_thread_batches",
            "Large batches (MODEL_OFFLOAD_ROWS rows or more) waiting for or being scored on "
            "the scoring thread.",
            registry=self.registry,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request and record its latency."""
        self.requests.observe(route, method, status, seconds)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


class ModelLabels:
    """Bounded `model` label values: the first `capacity` names get one each, later "other"."""

    OTHER = "other"

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.slots: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        """The label value for model `name`."""
        label = self.slots.get(name)
        if label is None:
            label = name if len(self.slots) < self.capacity else self.OTHER
            if label is name:
                self.slots[name] = label
        return label


class ScoredCollector(Collector):
    """Scored requests and rows by model label, as plain numbers (the repository's hot path).

    Two prometheus_client Counter.inc calls took a lock each on every inference; here one
    cached list per model name is bumped, and the families are built on scrape.
    """

    def __init__(self, label: ModelLabels) -> None:
        self.label = label
        self.by_label: dict[str, list[float]] = {}  # label -> [requests, rows, created]
        self._by_name: dict[str, list[float]] = {}  # model name -> its label's list

    def observe(self, name: str, rows: int) -> None:
        """Count one request of `rows` rows for model `name`."""
        row = self._by_name.get(name)
        if row is None:
            label = self.label(name)
            row = self.by_label.setdefault(label, [0, 0, time.time()])
            self._by_name[name] = row
        row[0] += 1
        row[1] += rows

    def collect(self) -> Iterator[Metric]:
        """The two counters, labelled by model."""
        inferences = CounterMetricFamily(
            "model_repository_inferences", "Scored inference requests by model.", labels=["model"]
        )
        rows = CounterMetricFamily(
            "model_repository_rows_scored", "Rows scored by model.", labels=["model"]
        )
        for label, (count, scored, created) in list(self.by_label.items()):
            inferences.add_metric([label], count, created=created)
            rows.add_metric([label], scored, created=created)
        yield inferences
        yield rows


class RepositoryMetrics:
    """Per-model series for repository mode, with at most `capacity` model labels + "other"."""

    def __init__(self, registry: CollectorRegistry, capacity: int) -> None:
        self.label = ModelLabels(capacity)
        self.scoring = ScoredCollector(self.label)
        registry.register(self.scoring)
        self.loads = Counter(
            "model_repository_loads", "Model loads by outcome (loaded, failed).",
            ["model", "outcome"], registry=registry,
        )  # fmt: skip
        self.load_seconds = Histogram(
            "model_repository_load_duration_seconds", "Verify-and-load time of one model.",
            ["outcome"], buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.evictions = Counter(
            "model_repository_evictions", "Models evicted (LRU) to stay within the budget.",
            ["model"], registry=registry,
        )  # fmt: skip
        self.resident = Gauge(
            "model_repository_resident_models", "Models loaded in memory.", registry=registry
        )
        self.resident_bytes = Gauge(
            "model_repository_resident_bytes", "Estimated bytes of the loaded models.",
            registry=registry,
        )  # fmt: skip
        self.compiling = Gauge(
            "model_repository_compiles_pending",
            "Loaded models whose compiled one-row scorer is still being built in the "
            "background (they score with ONNX Runtime meanwhile).",
            registry=registry,
        )

    def scored(self, name: str, rows: int) -> None:
        """Count one scored request of `rows` rows."""
        self.scoring.observe(name, rows)

    def loaded(self, name: str, outcome: str, seconds: float) -> None:
        """Count a load attempt."""
        self.loads.labels(self.label(name), outcome).inc()
        self.load_seconds.labels(outcome).observe(seconds)

    def evicted(self, name: str) -> None:
        """Count an eviction."""
        self.evictions.labels(self.label(name)).inc()
