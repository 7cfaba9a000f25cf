"""The raw-ASGI plumbing both servers share: routing, bounded body reads, replies, metrics.

No framework on the hot path. Subclasses fill `routes` (exact paths) and `model_routes`
(suffixes under /v2/models/{name}[/versions/{v}]); a handler gets (body, param) where
param is the model name, or "name/version" when the path names a version.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import orjson

from model.serving.limits import Limits
from model.serving.metrics import CONTENT_TYPE as METRICS_TYPE
from model.serving.metrics import Metrics
from model.serving.offload import Scoring, ScoringThread
from model.serving.request import (
    CLIENT_GONE,
    TIMED_OUT,
    Budget,
    ClientGone,
    body_headers,
    check_media,
    read_body,
)
from model.serving.sampling import FLUSH_SECONDS, Sampler
from model.serving.schema import RequestError

log = logging.getLogger("model.serving")
JSON = b"application/json"
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
Reply = tuple[int, bytes, Headers]
Handler = Callable[[bytes, str], Reply]
Deliver = Callable[[Reply], bool]  # writes a reply on its connection; False if it is gone
CLOSE = [(b"connection", b"close")]
JSON_HEADERS = [(b"content-type", JSON)]
METRICS_HEADERS = [(b"content-type", METRICS_TYPE.encode())]
MODELS = "/v2/models/"
VERSIONS = "versions/"


def json_reply(status: int, payload: Any) -> Reply:
    """A JSON response."""
    return status, orjson.dumps(payload), JSON_HEADERS


def error(status: int, message: str) -> Reply:
    """An error response {"error": message}."""
    try:
        return json_reply(status, {"error": message})
    except TypeError:  # a client string orjson cannot encode: escape it rather than 500
        return status, json.dumps({"error": message}).encode(), JSON_HEADERS


def failure(err: Exception, method: str, path: str) -> Reply:
    """The reply for a handler that raised (call it in the `except`): a request error is its
    4xx; anything else is a bug, logged, and a 500 for this request."""
    if isinstance(err, RequestError):
        return error(err.status, err.message)
    log.exception("unhandled error on %s %.80r", method, path)
    return error(500, "internal error; the request was not scored")


def accepts_binary(handler: Callable[..., Reply]) -> Callable[..., Reply]:
    """Mark a handler that takes binary-framed bodies: it gets the framing header as 3rd arg."""
    handler.binary = True  # type: ignore[attr-defined]
    return handler


def split_model(param: str) -> tuple[str, str | None]:
    """(name, version or None) from a handler's path parameter."""
    name, slash, version = param.partition("/")
    return name, version if slash else None


@dataclass(frozen=True, slots=True)
class Batch:
    """A scoring route in steps, so that single-row requests can share one model run:
    `rows(body, param)` validates into (columns, n) (raising RequestError), `score(columns,
    n)` scores them, and `answer(scores)` is the reply for one request's scores. `many`, if
    given, answers a request of n > 1 rows itself (a large batch as `Scoring`)."""

    rows: Callable[[bytes, str], tuple[dict[str, list[Any]], int]]
    score: Callable[[dict[str, list[Any]], int], list[float]]
    answer: Callable[[list[float]], Reply]
    many: Callable[[dict[str, list[Any]], int], Reply | Scoring] | None = None


@dataclass(slots=True)
class Direct:
    """A request the connection answers itself once its body is in (model/serving/guard.py)."""

    label: str
    method: str
    handler: Handler
    param: str
    framing: bytes | None
    start: float
    batch: Batch | None = None


@dataclass(slots=True)
class Waiting:
    """A validated single-row request waiting for its loop turn's one model run."""

    direct: Direct
    columns: dict[str, list[Any]]
    deliver: Deliver


class BaseServer:
    """ASGI entry, lifespan, routing and the bounded request/response cycle."""

    limits: Limits
    budget: Budget
    metrics: Metrics
    sampler: Sampler | None
    routes: dict[str, tuple[str, Handler]]
    model_routes: dict[str, tuple[str, Handler]]
    # what each mode implements for the Open Inference Protocol paths `_oip_routes` lists
    server_metadata: Handler
    live: Handler
    ready: Handler
    prometheus: Handler
    openapi_json: Handler
    infer: Handler
    # handler -> its steps, for the routes whose single-row requests are batched
    batched: Mapping[Handler, Batch] = MappingProxyType({})
    _waiting: list[Waiting] | None = None
    _scoring: ScoringThread | None = None

    @property
    def scoring(self) -> ScoringThread:
        """The thread large batches are scored on (model/serving/offload.py), made on first use."""
        if self._scoring is None:
            thread = self._scoring = ScoringThread()
            self.metrics.offloaded.set_function(lambda: thread.queued)
        return self._scoring

    def _oip_routes(
        self, extra: dict[str, tuple[str, Handler]], metadata: Handler, model_ready: Handler
    ) -> None:
        """Fill `routes` (the OIP v2 server paths both modes serve, plus `extra`) and
        `model_routes` (a model's metadata, readiness and inference)."""
        self.routes = {
            "/v2": ("GET", self.server_metadata),
            "/v2/health/live": ("GET", self.live),
            "/v2/health/ready": ("GET", self.ready),
            "/metrics": ("GET", self.prometheus),
            "/openapi.json": ("GET", self.openapi_json),
            **extra,
        }
        self.model_routes = {
            "": ("GET", metadata),
            "/ready": ("GET", model_ready),
            "/infer": ("POST", self.infer),
        }

    def scored(
        self, n: int, run: Callable[[], list[float]], answer: Callable[[list[float]], Reply]
    ) -> Reply | Scoring:
        """`answer(run())` now, or for a batch of MODEL_OFFLOAD_ROWS rows or more, as a
        `Scoring` the plumbing runs on the scoring thread (`run` must touch nothing the loop
        owns; `answer` runs back on the loop)."""
        return Scoring(run, answer) if self.limits.offloads(n) else answer(run())

    def close(self) -> None:
        """Release files held open (the sample log) and stop the scoring thread."""
        if self.sampler is not None:
            self.sampler.close()
        if self._scoring is not None:
            self._scoring.close()

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

    def _route(self, method: str, path: str) -> tuple[str, Handler | None, str]:
        """(route label for metrics, handler or None, path parameter)."""
        found = self.routes.get(path)
        param, label = "", path
        if found is None and path.startswith(MODELS):
            param, _, rest = path[len(MODELS) :].partition("/")
            prefix = "/v2/models/{name}"
            if rest.startswith(VERSIONS):
                version, _, rest = rest[len(VERSIONS) :].partition("/")
                param, prefix = f"{param}/{version}", prefix + "/versions/{version}"
            key = "/" + rest if rest else ""
            found = self.model_routes.get(key)
            label = prefix + key
        if found is None:
            return "unmatched", None, ""
        if method != found[0] and not (method == "HEAD" and found[0] == "GET"):
            return label, self._not_allowed(found[0]), ""
        return label, found[1], param

    @staticmethod
    def _not_allowed(allowed: str) -> Handler:
        """A 405 naming the route's methods in Allow (RFC 9110 §15.5.6; GET implies HEAD)."""
        methods = "GET, HEAD" if allowed == "GET" else allowed
        status, payload, headers = error(405, f"method not allowed; use {methods}")
        reply = status, payload, [*headers, (b"allow", methods.encode())]
        return lambda body, param: reply

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
        handler: Handler | None,
        param: str,
    ) -> tuple[Reply, bool]:
        """(reply, close): close when a body was announced but not read to the end."""
        method = scope["method"]
        head = body_headers(scope["headers"]) if method == "POST" else None
        try:
            if handler is None:
                path = scope["path"]
                return error(404, f"no route {path[:80]!r}; see GET /v2 and GET /model"), bool(
                    head and head.has_body
                )
            body, framing = b"", None
            if head is not None:
                check_media(head, head.framing is not None and getattr(handler, "binary", False))
                body = await read_body(head, receive, self.limits.max_body, self.budget)
                framing, head = head.framing, None  # read to the end: the connection may be kept
        except RequestError as err:
            return error(err.status, err.message), bool(head and head.has_body)
        reply = self._call(handler, body, param, framing, method, scope["path"])
        if isinstance(reply, Scoring):
            reply = await self._offloaded(reply, len(body), method, scope["path"])
        return reply, False

    async def _offloaded(self, scoring: Scoring, size: int, method: str, path: str) -> Reply:
        """A large batch's reply, its model run awaited on the scoring thread. Its body's bytes
        count against the buffer budget again until it is answered: batches waiting for the
        thread are bounded by MODEL_MAX_BUFFERED_BYTES, as bodies being read are."""
        self.budget.used += size
        try:
            reply: Reply = scoring.reply(await self.scoring.run(scoring))
        except Exception as err:
            reply = failure(err, method, path)
        finally:
            self.budget.used -= size
        return reply

    @staticmethod
    def _call(
        handler: Handler, body: bytes, param: str, framing: bytes | None, method: str, path: str
    ) -> Reply | Scoring:
        """The handler's reply (or its `Scoring`, for a large batch); a request error is its
        4xx, a bug costs this request a 500."""
        try:
            if framing is None:
                return handler(body, param)
            return handler(body, param, framing)  # type: ignore[call-arg]
        except Exception as err:  # a bug must cost one request, never the worker
            return failure(err, method, path)

    # ---- the direct path: no ASGI cycle for a request whose body is bounded and typed -----
    def direct_route(self, method: str, path: str, headers: Headers) -> Direct | None:
        """The request's route when the connection may answer it itself, else None (ASGI).

        uvicorn spends about 30 us of CPU per request on the ASGI cycle (a task, an event,
        message dicts, two writes): twice what the whole HTTP exchange costs without it. A
        request that needs nothing asynchronous skips it: a known route whose body, if any,
        has a Content-Length within the limit and an accepted media type. Every other request
        (chunked, oversized, badly typed, unknown route) takes the ASGI path and its answers.
        """
        label, handler, param = self._route(method, path)
        if handler is None:
            return None
        framing = None
        if method == "POST":
            head = body_headers(headers)
            length = head.content_length
            if head.chunked or not length.isdigit() or int(length) > self.limits.max_body:
                return None
            try:
                check_media(head, head.framing is not None and getattr(handler, "binary", False))
            except RequestError:
                return None
            framing = head.framing
        elif any(key in (b"content-length", b"transfer-encoding") for key, _ in headers):
            return None  # a GET with a body: the ASGI path reads it before answering
        batch = self.batched.get(handler) if framing is None else None
        return Direct(label, method, handler, param, framing, time.perf_counter(), batch)

    def direct_reply(
        self, direct: Direct, body: bytes, path: str, deliver: Deliver | None = None
    ) -> Reply | None:
        """Answer a direct request whose whole body arrived (`_call` never raises); None when
        a single-row request waits to be scored with the others of this loop turn, answered
        through `deliver` by `flush` (connections flush before reading their next request)."""
        d = direct
        reply: Reply | Scoring
        if d.batch is None or deliver is None:
            reply = self._call(d.handler, body, d.param, d.framing, d.method, path)
        else:
            try:
                columns, n = d.batch.rows(body, d.param)
                if n == 1:
                    self._wait(Waiting(direct, columns, deliver))
                    return None
                many = d.batch.many
                reply = many(columns, n) if many else d.batch.answer(d.batch.score(columns, n))
            except Exception as err:  # as `_call` maps them
                reply = failure(err, d.method, path)
        if isinstance(reply, Scoring):
            if deliver is not None:
                self._submit(direct, reply, len(body), path, deliver)
                return None
            reply = self._now(reply, d.method, path)
        self.direct_counted(direct, reply[0])
        return reply

    @staticmethod
    def _now(scoring: Scoring, method: str, path: str) -> Reply:
        """A `Scoring` answered on this thread (no connection to deliver to later)."""
        try:
            reply: Reply = scoring.now()
        except Exception as err:
            reply = failure(err, method, path)
        return reply

    def _submit(
        self, direct: Direct, scoring: Scoring, size: int, path: str, deliver: Deliver
    ) -> None:
        """Score a direct request's large batch on the scoring thread; answer it on the loop
        through `deliver`. Its bytes stay counted against the buffer budget until then."""
        self.budget.used += size

        def finish(future: Future[Any]) -> None:
            self.budget.used -= size
            try:
                reply: Reply = scoring.reply(future.result())
            except Exception as err:
                reply = failure(err, direct.method, path)
            self.direct_counted(direct, reply[0] if deliver(reply) else CLIENT_GONE)

        self.scoring.submit(scoring, finish)

    def settle(self) -> None:
        """Answer everything waiting now, offloaded batches first (blocking until they are
        scored): a connection calls it when its next request's bytes arrive before its answer
        went out, so its answers keep their order."""
        if self._scoring is not None:
            self._scoring.drain()
        self.flush()

    def _wait(self, waiting: Waiting) -> None:
        if self._waiting is None:
            self._waiting = []
            # runs after this turn's reads: every request read in it joins one model run
            asyncio.get_running_loop().call_soon(self.flush)
        self._waiting.append(waiting)

    def flush(self) -> None:
        """Score the waiting single-row requests, one model run per route, and answer each.

        Scoring 8 rows costs about twice one row's (51 against 25 us here, printed by
        benchmarks/serving.py --only-floor), so a busy worker scores several connections'
        rows for little more than one's. Nothing waits for a batch to fill: it holds what one
        loop turn read, and a lone request is answered in the same turn. Each connection
        flushes before it reads its next request, so answers keep their order; a flush run
        early leaves the scheduled one nothing to do.
        """
        waiting, self._waiting = self._waiting, None
        groups: dict[Batch, list[Waiting]] = {}
        for w in waiting or ():
            groups.setdefault(w.direct.batch, []).append(w)  # type: ignore[arg-type]
        for batch, group in groups.items():
            columns = group[0].columns
            if len(group) > 1:
                columns = {name: [w.columns[name][0] for w in group] for name in columns}
            try:
                replies = [batch.answer([s]) for s in batch.score(columns, len(group))]
            except Exception as err:
                replies = [failure(err, "POST", group[0].direct.label)] * len(group)
            for w, reply in zip(group, replies, strict=True):
                self.direct_counted(w.direct, reply[0] if w.deliver(reply) else CLIENT_GONE)

    def direct_counted(self, direct: Direct, status: int) -> None:
        """Count a direct request's outcome: its answer, or 408/499 if its body never came."""
        elapsed = time.perf_counter() - direct.start
        self.metrics.observe_request(direct.label, direct.method, status, elapsed)
