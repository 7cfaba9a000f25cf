"""A real Prometheus scrapes a running `model serve` and evaluates the shipped rules on it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
import yaml

from model.core.schema import POSITIVE_CLASS
from model.serving.metrics import SCORE_EDGES
from tests.tools import require
from tests.unit.monitoring_helpers import RULE, rules
from tests.unit.serving_helpers import SERVING_ENV, contract_of, read_rows

pytestmark = pytest.mark.e2e

NAMESPACE = "credit-scoring-staging"  # the label a PodMonitor target would carry
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(what: str, probe: Callable[[], T | None], timeout: float = 60) -> T:
    """Poll `probe` until it returns something other than None, for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = probe()
        except httpx.TransportError:
            found = None
        if found is not None:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@contextmanager
def _process(cmd: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """Run `cmd`; on exit stop it (SIGTERM, then SIGKILL) and show its output on failure."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=30)
        sys.stdout.write(out.decode(errors="replace")[-4000:])  # shown by pytest on failure


def _prometheus_config(tmp_path: Path, target: str) -> Path:
    """The shipped rules as a rules file, and one 1-second scrape job for the server."""
    spec = yaml.safe_load(RULE.read_text())["spec"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "rules.yaml")],
        "scrape_configs": [
            {
                "job_name": "credit-scoring",
                "static_configs": [{"targets": [target], "labels": {"namespace": NAMESPACE}}],
            }
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _query(api: str, expr: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{api}/api/v1/query", params={"query": expr}, timeout=5).json()
    assert reply["status"] == "success", reply
    return reply["data"]["result"]


def _value(api: str, expr: str) -> float | None:
    """The single sample of `expr` now, or None when there is none yet."""
    result = _query(api, expr)
    assert len(result) <= 1, result
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_the_server_and_records_the_rules(
    trained_workspace: Path, tmp_path: Path
) -> None:
    models = trained_workspace / "models"
    port, prom_port = _free_port(), _free_port()
    url, api = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{prom_port}"
    env = {k: v for k, v in os.environ.items() if k not in SERVING_ENV}
    serve = [str(Path(sys.executable).parent / "model"), "serve", "--model-dir", str(models)]
    prometheus = [
        require("prometheus"),
        f"--config.file={_prometheus_config(tmp_path, f'127.0.0.1:{port}')}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
        "--log.level=warn",
    ]
    with _process([*serve, "--port", str(port)], env), _process(prometheus):
        _until("the server", lambda: httpx.get(f"{url}/v2/health/ready").is_success or None)
        version = httpx.get(f"{url}/model").json()["version"]
        _until("Prometheus", lambda: httpx.get(f"{api}/-/ready").is_success or None)
        # A scrape before any traffic, so every window starts from zero.
        assert _until("a first scrape", lambda: _value(api, "model_prediction_score_count")) == 0

        rows = read_rows(trained_workspace / "artifacts" / "test.csv", contract_of(models))[:200]
        scores, positives = [], 0
        for start in range(0, len(rows), 50):
            reply = httpx.post(f"{url}/v1/predict", json={"instances": rows[start : start + 50]})
            assert reply.status_code == 200, reply.text
            predictions = reply.json()["predictions"]
            scores += [p["probability"] for p in predictions]
            positives += sum(p["label"] == POSITIVE_CLASS for p in predictions)
        n = len(scores)
        sel = f'{{namespace="{NAMESPACE}",version="{version}"}}'

        def recorded(name: str) -> float | None:
            # Wait until the rule has evaluated on a scrape taken after all the traffic.
            if _value(api, f"model_prediction_score_count{sel}") != n:
                return None
            return _value(api, f"namespace_version:{name}{sel}")

        _until("the 1h mean", lambda: recorded("model_prediction_score_mean:1h"))
        time.sleep(2)  # two more evaluations, so every rule has seen the last scrape
        mean = _value(api, f"namespace_version:model_prediction_score_mean:1h{sel}")
        assert mean == pytest.approx(float(np.mean(scores)), abs=1e-9)
        mean7d = _value(api, f"namespace_version:model_prediction_score_mean:7d{sel}")
        assert mean7d == pytest.approx(float(np.mean(scores)), abs=1e-9)
        share = _value(api, f"namespace_version:model_positive_decisions:share1h{sel}")
        assert share == pytest.approx(positives / n, abs=1e-9)
        p50 = _value(api, f"namespace_version:model_prediction_score_p50:1h{sel}")
        edge = SCORE_EDGES[np.searchsorted(SCORE_EDGES, np.median(scores))]
        assert edge - 0.05 - 1e-9 <= p50 <= edge + 1e-9, (p50, np.median(scores))
        rate = _value(api, f"namespace_version:model_prediction_score_count:rate1h{sel}")
        assert rate is not None and rate > 0

        groups = httpx.get(f"{api}/api/v1/rules", timeout=5).json()["data"]["groups"]
        broken = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"]]
        assert [b for b in broken if b[1]] == [] and len(broken) == len(rules())
        # Only staging is scraped here: prod's absent() alert is pending, staging's is not.
        alerts = httpx.get(f"{api}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        absent = [a for a in alerts if a["labels"]["alertname"] == "CreditScoringMetricsAbsent"]
        assert [a["labels"]["namespace"] for a in absent] == ["credit-scoring-prod"]
        assert absent[0]["state"] == "pending"
