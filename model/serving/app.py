"""The model server: a small raw-ASGI app (no framework on the hot path) over the ONNX model.

Routes: POST /v1/predict, the Open Inference Protocol v2 REST routes, GET /metrics and
GET /model. Every bad input is a 4xx naming the field; nothing a client sends can 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from model import config
from model.serving import buildinfo, describe, loaded, oip, openapi
from model.serving.asgi import (
    JSON_HEADERS,
    METRICS_HEADERS,
    BaseServer,
    Batch,
    Reply,
    accepts_binary,
    split_model,
)
from model.serving.asgi import json_reply as _json
from model.serving.integrity import Integrity, verify
from model.serving.limits import Limits
from model.serving.metrics import Metrics
from model.serving.offload import Scoring
from model.serving.request import Budget
from model.serving.sampling import Sampler
from model.serving.schema import RequestError, parse_json

log = logging.getLogger("model.serving")
SERVER_METADATA = {
    "name": "credit-scoring-server",
    "version": "1",
    "extensions": ["binary_tensor_data"],
}


class ModelServer(BaseServer):
    """ASGI application: validates, scores, records metrics and optional drift samples."""

    def __init__(self, model_dir: Path, limits: Limits | None = None) -> None:
        self.limits = limits or Limits.from_env()
        self.budget = Budget(self.limits.max_buffered)
        self.name = (
            config.get(config.MODEL_NAME, config.DEFAULT_MODEL_NAME) or config.DEFAULT_MODEL_NAME
        )
        self.integrity: Integrity = verify(model_dir, config.flag(config.MODEL_REQUIRE_PIN, False))
        self.info = buildinfo.load(model_dir, self.integrity.actual)
        self.version = str(self.info["version"])
        self.metrics = Metrics(
            {
                "name": self.name,
                "version": self.version,
                "sha256": self.integrity.actual,
                "git_commit": str(self.info.get("git_commit") or ""),
            }
        )
        self.meta: dict[str, Any] = {}
        self.model: Any = None
        self.reason = self.integrity.reason
        if self.integrity.ok:  # never even parse bytes that do not match the pin
            self._load(self.integrity.files)
        else:
            log.error("model integrity check failed, refusing to serve: %s", self.reason)
        self.metrics.ready.set(1 if self.model else 0)
        self.sampler = Sampler.from_env(on_error=self._sample_error)
        extra = {"/v1/predict": ("POST", self.predict), "/model": ("GET", self.model_info)}
        self._oip_routes(extra, self.oip_metadata, self.oip_ready)
        # single-row /v1/predict requests read in one loop turn share one ONNX run (asgi.flush)
        self.batched = {
            self.predict: Batch(self.instances, self._score, self.predictions, self._predictions)
        }

    def _load(self, files: dict[str, bytes]) -> None:
        """Build schema and session from the verified bytes (never re-read from disk)."""
        try:
            threads = int(config.get(config.MODEL_THREADS, "1") or 1)
            built = loaded.build(files, self.limits.max_rows, threads)
        except Exception as err:  # pinned but unusable: not ready, one line, no traceback
            self.reason = loaded.failure(err)
            log.error("refusing to serve: %s", self.reason)
            return
        self.meta, self.schema, self.threshold = built.meta, built.schema, built.threshold
        self.labels, self.model = built.labels, built.model
        document = openapi.document(self.schema.contract, self.limits.max_rows, self.labels)
        self.openapi = orjson.dumps(document)  # built once: no per-request cost
        self.metrics.scores.threshold = self.threshold  # exported, so no rule restates it
        log.info(
            "model %s %s ready (sha256 %s, verified against %s)",
            self.name,
            self.version,
            self.integrity.actual,
            self.integrity.source,
        )

    # ---- scoring -------------------------------------------------------------------------
    def _require_model(self) -> Any:
        if self.model is None:
            raise RequestError(503, f"model not ready: {self.reason}")
        return self.model

    def _score(self, columns: dict[str, list[Any]], n: int) -> list[float]:
        return self._observed(columns, self._require_model().scores(columns, n))

    def _observed(self, columns: dict[str, list[Any]], scores: list[float]) -> list[float]:
        """Record scores in the metrics and the drift sample (on the loop: neither is locked)."""
        self.metrics.scores.observe(scores)
        if self.sampler is not None:
            self.sampler.record(self.schema.names, columns, scores)
        return scores

    def _scored(
        self, columns: dict[str, list[Any]], n: int, answer: Callable[[list[float]], Reply]
    ) -> Reply | Scoring:
        """`answer` for the rows' scores, recorded in metrics and samples (BaseServer.scored)."""
        run = partial(self._require_model().scores, columns, n)
        return self.scored(n, run, lambda scores: answer(self._observed(columns, scores)))

    def predict(self, body: bytes, _: str) -> Reply | Scoring:
        """POST /v1/predict: a probability and a label per instance."""
        return self._predictions(*self.instances(body, _))

    def _predictions(self, columns: dict[str, list[Any]], n: int) -> Reply | Scoring:
        return self._scored(columns, n, self.predictions)

    def instances(self, body: bytes, _: str) -> tuple[dict[str, list[Any]], int]:
        """/v1/predict's body validated into columns."""
        self._require_model()
        return self.schema.instances(parse_json(body))

    def predictions(self, scores: list[float]) -> Reply:
        """/v1/predict's reply for its rows' scores."""
        negative, positive = self.labels
        threshold = self.threshold
        predictions = [
            {"probability": p, "label": positive if p >= threshold else negative} for p in scores
        ]
        return _json(
            200,
            {
                "model_name": self.name,
                "model_version": self.version,
                "threshold": threshold,
                "predictions": predictions,
            },
        )

    @accepts_binary
    def infer(self, body: bytes, name: str, framing: bytes | None = None) -> Reply | Scoring:
        """POST /v2/models/{name}/infer (pandas codec; JSON or binary tensors)."""
        self._check_name(name)
        self._require_model()
        columns, n, request_id, binary = oip.read_infer(self.schema, body, framing)

        def answer(scores: list[float]) -> Reply:
            return 200, *oip.infer_reply(self.name, self.version, scores, request_id, binary)

        return self._scored(columns, n, answer)

    # ---- metadata and health -------------------------------------------------------------
    def _check_name(self, param: str) -> None:
        if param == self.name:
            return
        name, version = split_model(param)
        if name != self.name:
            raise RequestError(
                404, f"unknown model {name[:60]!r}; this server serves {self.name!r}"
            )
        if version != self.version:
            raise RequestError(
                404, f"unknown version {version!r:.40}; this server serves {self.version!r}"
            )

    def live(self, body: bytes, _: str) -> Reply:
        """GET /v2/health/live: the process answers."""
        return _json(200, {"live": True})

    def ready(self, body: bytes, _: str) -> Reply:
        """GET /v2/health/ready: the model passed integrity checks and is loaded."""
        if self.model is None:
            return _json(503, {"ready": False, "reason": self.reason})
        return _json(200, {"ready": True})

    def server_metadata(self, body: bytes, _: str) -> Reply:
        """GET /v2."""
        return _json(200, SERVER_METADATA)

    def oip_metadata(self, body: bytes, name: str) -> Reply:
        """GET /v2/models/{name}."""
        self._check_name(name)
        self._require_model()
        return _json(200, oip.model_metadata(self.schema, self.name, self.version))

    def oip_ready(self, body: bytes, name: str) -> Reply:
        """GET /v2/models/{name}/ready."""
        self._check_name(name)
        return self.ready(body, name)

    def model_info(self, body: bytes, _: str) -> Reply:
        """GET /model: version, provenance, digest, training metrics, feature schema."""
        self._require_model()
        return _json(200, describe.model_info(self))

    def openapi_json(self, body: bytes, _: str) -> Reply:
        """GET /openapi.json: the OpenAPI 3.1 document, built at start-up."""
        self._require_model()
        return 200, self.openapi, JSON_HEADERS

    def prometheus(self, body: bytes, _: str) -> Reply:
        """GET /metrics."""
        return 200, self.metrics.render(), METRICS_HEADERS


def create_app(model_dir: Path, limits: Limits | None = None) -> ModelServer:
    """Load and verify the model in `model_dir`; return the ASGI app."""
    return ModelServer(Path(model_dir), limits)
