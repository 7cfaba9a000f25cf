"""The repository server: many models under /v2/models/{name}, and the OIP repository extension.

POST /v2/repository/index lists every registered model with its state; POST
/v2/repository/models/{name}/load verifies and loads one (retrying a failed one), and
/unload drops it. Inference loads a model on its first request. The single-model server
(app.py) stays the default; this one runs with `model serve --repository`.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import orjson

from model import config
from model.serving import oip, openapi
from model.serving.asgi import (
    JSON_HEADERS,
    METRICS_HEADERS,
    BaseServer,
    Handler,
    Reply,
    accepts_binary,
    json_reply,
    split_model,
)
from model.serving.limits import Limits
from model.serving.metrics import Metrics, RepositoryMetrics
from model.serving.offload import Scoring
from model.serving.repository import (
    DEFAULT_MODELS,
    MemoryBudget,
    Repository,
    Resident,
    read_catalog,
)
from model.serving.request import Budget
from model.serving.schema import RequestError, parse_json

log = logging.getLogger("model.serving")
REPO_MODELS = "/v2/repository/models/"
EXTENSIONS = ["binary_tensor_data", "model_repository"]


class RepositoryServer(BaseServer):
    """ASGI application over a model repository."""

    def __init__(self, source: Path, limits: Limits | None = None) -> None:
        self.limits = limits or Limits.from_env()
        self.budget = Budget(self.limits.max_buffered)
        budget = MemoryBudget.parse(config.get(config.MODEL_MEMORY_BUDGET))
        catalog = read_catalog(source, config.flag(config.MODEL_REQUIRE_PIN, False))
        threads = int(config.get(config.MODEL_THREADS, "1") or 1)
        self.repository = Repository(catalog, budget, self.limits.max_rows, threads)
        info = {"name": "repository", "version": "", "sha256": "", "git_commit": ""}
        self.metrics = Metrics(info)
        self.metrics.ready.set(1)
        self.models = RepositoryMetrics(self.metrics.registry, budget.models or DEFAULT_MODELS)
        self.repository.on_load = self._loaded
        self.repository.on_evict = self._evicted
        self.models.compiling.set_function(lambda: self.repository.compiling)
        self.sampler = None  # drift samples name no model: single-model mode only
        extra = {"/v2/repository/index": ("POST", self.index)}
        self._oip_routes(extra, self.metadata, self.model_ready)
        self.openapi = orjson.dumps(openapi.repository_document(self.limits.max_rows))
        self.repo_routes = {"load": self.load, "unload": self.unload}
        log.info("model repository %s: %d models, budget %s", source, len(catalog), budget)

    def close(self) -> None:
        """Stop the compiler thread, then what every server releases."""
        self.repository.close()
        super().close()

    def _loaded(self, name: str, outcome: str, seconds: float) -> None:
        self.models.loaded(name, outcome, seconds)
        self._gauges()

    def _evicted(self, name: str) -> None:
        self.models.evicted(name)
        self._gauges()

    def _gauges(self) -> None:
        self.models.resident.set(len(self.repository.resident))
        self.models.resident_bytes.set(self.repository.used)

    def _route(self, method: str, path: str) -> tuple[str, Handler | None, str]:
        """The repository extension's /v2/repository/models/{name}/(load|unload), then the rest."""
        if path.startswith(REPO_MODELS):
            name, _, action = path[len(REPO_MODELS) :].partition("/")
            handler = self.repo_routes.get(action)
            if handler is not None:
                label = "/v2/repository/models/{name}/" + action
                if method != "POST":
                    return label, self._not_allowed("POST"), ""
                return label, handler, name
        return super()._route(method, path)

    def _model(self, param: str) -> Resident:
        name, version = split_model(param)
        resident = self.repository.get(name)
        if version is not None and version != resident.version:
            raise RequestError(
                404, f"unknown version {version!r:.40} of {name!r}; it serves {resident.version!r}"
            )
        return resident

    # ---- inference -----------------------------------------------------------------------
    @accepts_binary
    def infer(self, body: bytes, param: str, framing: bytes | None = None) -> Reply | Scoring:
        """POST /v2/models/{name}[/versions/{v}]/infer (loads the model on first use)."""
        resident = self._model(param)
        model = resident.model
        columns, n, request_id, binary = oip.read_infer(model.schema, body, framing)

        def answer(scores: list[float]) -> Reply:
            self.models.scored(resident.name, n)
            name, version = resident.name, resident.version
            return 200, *oip.infer_reply(name, version, scores, request_id, binary)

        # On the scoring thread the run holds its session: evicting the model meanwhile frees
        # it only when the run ends.
        return self.scored(n, partial(model.model.scores, columns, n), answer)

    def metadata(self, body: bytes, param: str) -> Reply:
        """GET /v2/models/{name}: inputs, outputs, version (loads the model)."""
        resident = self._model(param)
        return json_reply(
            200, oip.model_metadata(resident.model.schema, resident.name, resident.version)
        )

    def model_ready(self, body: bytes, param: str) -> Reply:
        """GET /v2/models/{name}/ready: 200 only while the model is loaded and verified."""
        name, version = split_model(param)
        state = self.repository.state(self.repository.entry(name).name)
        ready = state["state"] == "READY" and version in (None, state.get("version"))
        payload = {"ready": ready} if ready else {"ready": False, "reason": state["reason"]}
        return json_reply(200 if ready else 503, payload)

    # ---- the repository extension --------------------------------------------------------
    def index(self, body: bytes, _: str) -> Reply:
        """POST /v2/repository/index: every model and its state ({"ready": true} filters)."""
        ready_only = False
        if body:
            request = parse_json(body)
            if type(request) is not dict or type(request.get("ready", False)) is not bool:
                raise RequestError(422, 'body: expected {"ready": true|false} or nothing')
            ready_only = request.get("ready", False)
        states = [self.repository.state(name) for name in self.repository.catalog]
        if ready_only:
            states = [s for s in states if s["state"] == "READY"]
        return json_reply(200, states)

    def load(self, body: bytes, name: str) -> Reply:
        """POST /v2/repository/models/{name}/load: verify and load (retries a failed model)."""
        request = parse_json(body) if body else {}
        if type(request) is not dict or request.get("parameters"):
            raise RequestError(
                422, "body: load takes no parameters (config/file overrides are not supported)"
            )
        self.repository.load(name)
        return json_reply(200, {})

    def unload(self, body: bytes, name: str) -> Reply:
        """POST /v2/repository/models/{name}/unload: drop the model from memory."""
        self.repository.entry(name)
        self.repository.unload(name)
        self._gauges()
        return json_reply(200, {})

    # ---- server --------------------------------------------------------------------------
    def live(self, body: bytes, _: str) -> Reply:
        """GET /v2/health/live: the process answers."""
        return json_reply(200, {"live": True})

    def ready(self, body: bytes, _: str) -> Reply:
        """GET /v2/health/ready: the catalog was read (readiness of a model: its own route)."""
        return json_reply(200, {"ready": True})

    def server_metadata(self, body: bytes, _: str) -> Reply:
        """GET /v2."""
        return json_reply(200, {"name": "credit-scoring-server", "version": "1",
                                "extensions": EXTENSIONS})  # fmt: skip

    def openapi_json(self, body: bytes, _: str) -> Reply:
        """GET /openapi.json: the repository mode's OpenAPI 3.1 document (built at start-up)."""
        return 200, self.openapi, JSON_HEADERS

    def prometheus(self, body: bytes, _: str) -> Reply:
        """GET /metrics."""
        self._gauges()
        return 200, self.metrics.render(), METRICS_HEADERS


def create_repository_app(source: Path, limits: Limits | None = None) -> RepositoryServer:
    """Read the repository catalog at `source`; return the ASGI app (models load lazily)."""
    return RepositoryServer(Path(source), limits)
