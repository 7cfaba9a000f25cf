"""The model server: a small raw-ASGI app (no framework on the hot path) over the ONNX model.

Routes: POST /v1/predict, the Open Inference Protocol v2 REST routes, GET /metrics and
GET /model. Every bad input is a 4xx naming the field; nothing a client sends can 5xx.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from model import config
from model.core.schema import POSITIVE_CLASS
from model.names import META_FILE, ONNX_FILE
from model.serving import buildinfo, describe, oip, openapi
from model.serving.binary import BINARY_HEADERS
from model.serving.integrity import Integrity, verify
from model.serving.limits import Limits
from model.serving.metrics import CONTENT_TYPE as METRICS_TYPE
from model.serving.metrics import Metrics
from model.serving.request import (
    TIMED_OUT,
    Budget,
    ClientGone,
    body_headers,
    check_media,
    read_body,
)
from model.serving.sampling import FLUSH_SECONDS, Sampler
from model.serving.schema import RequestError, RequestSchema, parse_json

log = logging.getLogger("model.serving")
JSON = b"application/json"
CLIENT_GONE = 499  # nginx's "client closed request": counted, never sent
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
Reply = tuple[int, bytes, Headers]
CLOSE = [(b"connection", b"close")]
JSON_HEADERS = [(b"content-type", JSON)]
METRICS_HEADERS = [(b"content-type", METRICS_TYPE.encode())]


def _json(status: int, payload: Any) -> Reply:
    return status, orjson.dumps(payload), JSON_HEADERS


def _error(status: int, message: str) -> Reply:
    try:
        return _json(status, {"error": message})
    except TypeError:  # a client string orjson cannot encode: escape it rather than 500
        return status, json.dumps({"error": message}).encode(), JSON_HEADERS


def accepts_binary(handler: Callable[..., Reply]) -> Callable[..., Reply]:
    """Mark a handler that takes binary-framed bodies: it gets the framing header as 3rd arg."""
    handler.binary = True  # type: ignore[attr-defined]
    return handler


class ModelServer:
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
        self.routes: dict[str, tuple[str, Callable[[bytes, str], Reply]]] = {
            "/v1/predict": ("POST", self.predict),
            "/v2": ("GET", self.server_metadata),
            "/v2/health/live": ("GET", self.live),
            "/v2/health/ready": ("GET", self.ready),
            "/metrics": ("GET", self.prometheus),
            "/model": ("GET", self.model_info),
            "/openapi.json": ("GET", self.openapi_json),
        }
        self.model_routes = {
            "": ("GET", self.oip_metadata),
            "/ready": ("GET", self.oip_ready),
            "/infer": ("POST", self.infer),
        }

    def _load(self, files: dict[str, bytes]) -> None:
        """Build schema and session from the verified bytes (never re-read from disk)."""
        try:
            self.meta = json.loads(files[META_FILE])
            self.schema = RequestSchema.from_model_meta(self.meta, self.limits.max_rows)
            self.threshold = float(self.meta["threshold"])
            classes = [str(c) for c in self.meta["contract"].get("target_classes", ())]
            from model.serving.inference import OnnxModel

            threads = int(config.get(config.MODEL_THREADS, "1") or 1)
            model = OnnxModel(files[ONNX_FILE], self.schema, threads)
        except Exception as err:  # pinned but unusable: not ready, one line, no traceback
            self.reason = f"the pinned model cannot be loaded: {type(err).__name__}: {err}"
            log.error("refusing to serve: %s", self.reason.replace("\n", " "))
            return
        negative = next((c for c in classes if c != POSITIVE_CLASS), "not-" + POSITIVE_CLASS)
        self.labels = (negative, POSITIVE_CLASS)
        self.model = model
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

    def close(self) -> None:
        """Release files held open (the sample log)."""
        if self.sampler is not None:
            self.sampler.close()

    def count_rejected(self, status: int) -> None:
        """Count a response the connection guard sent without calling the app (431, 408, 503)."""
        self.metrics.observe_request("(connection)", "", status, 0.0)

    def _sample_error(self) -> None:
        self.metrics.scores.sample_errors += 1

    # ---- ASGI plumbing -------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Start the sample flush timer with the server; flush and close on shutdown."""
        timer = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.sampler is not None:
                    timer = asyncio.get_running_loop().create_task(self._flush_samples())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if timer is not None:
                    timer.cancel()
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _flush_samples(self) -> None:
        """Write buffered samples every FLUSH_SECONDS even when no request arrives."""
        while self.sampler is not None:
            await asyncio.sleep(FLUSH_SECONDS)  # so no line waits longer than FLUSH_SECONDS
            self.sampler.flush_pending(time.time())

    def _route(
        self, method: str, path: str
    ) -> tuple[str, Callable[[bytes, str], Reply] | None, str]:
        """(route label for metrics, handler or None, path parameter)."""
        found = self.routes.get(path)
        param, label = "", path
        if found is None and path.startswith("/v2/models/"):
            name, _, rest = path[len("/v2/models/") :].partition("/")
            prefix = "/v2/models/{name}"
            if rest.startswith("versions/"):
                version, _, rest = rest[len("versions/") :].partition("/")
                prefix += "/versions/{version}"
            key = "/" + rest if rest else ""
            found = self.model_routes.get(key)
            param, label = name, prefix + key
            if found is not None and "{version}" in prefix and version != self.version:
                return label, self._unknown_version(version), ""
        if found is None:
            return "unmatched", None, ""
        if method != found[0] and not (method == "HEAD" and found[0] == "GET"):
            return label, self._not_allowed(found[0]), ""
        return label, found[1], param

    def _unknown_version(self, version: str) -> Callable[[bytes, str], Reply]:
        message = f"unknown version {version[:40]!r}; this server serves {self.version!r}"
        return lambda body, param: _error(404, message)

    @staticmethod
    def _not_allowed(allowed: str) -> Callable[[bytes, str], Reply]:
        return lambda body, param: _error(405, f"method not allowed; use {allowed}")

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        method = scope["method"]
        label, handler, param = self._route(method, scope["path"])
        status = 500
        try:
            (status, payload, extra), close = await self._reply(scope, receive, handler, param)
            headers = [*extra, (b"content-length", str(len(payload)).encode())]
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": headers + CLOSE if close else headers,
                }
            )
            await send({"type": "http.response.body", "body": b"" if method == "HEAD" else payload})
        except ClientGone:
            status = 408 if scope.get(TIMED_OUT) else CLIENT_GONE
        finally:  # every outcome is counted, even one whose response could not be sent
            self.metrics.observe_request(label, method, status, time.perf_counter() - start)

    async def _reply(
        self,
        scope: Scope,
        receive: Receive,
        handler: Callable[[bytes, str], Reply] | None,
        param: str,
    ) -> tuple[Reply, bool]:
        """(reply, close): close when a body was announced but not read to the end."""
        method = scope["method"]
        head = body_headers(scope["headers"]) if method == "POST" else None
        try:
            if handler is None:
                path = scope["path"]
                return _error(404, f"no route {path[:80]!r}; see GET /v2 and GET /model"), bool(
                    head and head.has_body
                )
            body, framing = b"", None
            if head is not None:
                check_media(head, getattr(handler, "binary", False))
                body = await read_body(head, receive, self.limits.max_body, self.budget)
                framing, head = head.framing, None  # read to the end: the connection may be kept
            if framing is None:
                return handler(body, param), False
            return handler(body, param, framing), False  # type: ignore[call-arg]
        except RequestError as err:
            return _error(err.status, err.message), bool(head and head.has_body)
        except ClientGone:
            raise
        except Exception:  # a bug must cost one request, never the worker
            log.exception("unhandled error on %s %.80r", method, scope["path"])
            return _error(500, "internal error; the request was not scored"), bool(head)

    # ---- scoring -------------------------------------------------------------------------
    def _require_model(self) -> Any:
        if self.model is None:
            raise RequestError(503, f"model not ready: {self.reason}")
        return self.model

    def _score(self, columns: dict[str, list[Any]], n: int) -> list[float]:
        model = self._require_model()
        out: list[float] = model.predict(columns, n).tolist()
        self.metrics.scores.observe(out)
        if self.sampler is not None:
            self.sampler.record(self.schema.names, columns, out)
        return out

    def predict(self, body: bytes, _: str) -> Reply:
        """POST /v1/predict: a probability and a label per instance."""
        self._require_model()
        columns, n = self.schema.instances(parse_json(body))
        scores = self._score(columns, n)
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
    def infer(self, body: bytes, name: str, framing: bytes | None = None) -> Reply:
        """POST /v2/models/{name}/infer (pandas codec; JSON or binary tensors)."""
        self._check_name(name)
        self._require_model()
        columns, n, request_id, binary = oip.read_infer(self.schema, body, framing)
        scores = self._score(columns, n)
        if binary:
            payload, size = oip.infer_binary(self.name, self.version, scores, request_id)
            return 200, payload, [*BINARY_HEADERS, (oip.HEADER_LENGTH, str(size).encode())]
        return _json(200, oip.infer_response(self.name, self.version, scores, request_id))

    # ---- metadata and health -------------------------------------------------------------
    def _check_name(self, name: str) -> None:
        if name != self.name:
            raise RequestError(
                404, f"unknown model {name[:60]!r}; this server serves {self.name!r}"
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
        return _json(200, {"name": "credit-scoring-server", "version": "1", "extensions": []})

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
