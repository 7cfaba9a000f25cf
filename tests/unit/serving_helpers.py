"""Shared helpers for the serving tests: an in-process HTTP client and test-split rows."""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from model.core.schema import Contract
from model.serving.app import ModelServer, create_app
from model.serving.schema import RequestSchema

SERVING_ENV = (
    "MODEL_SHA256", "MODEL_SHA256_FILE", "MODEL_NAME", "MODEL_MAX_ROWS", "MODEL_MAX_BODY_BYTES",
    "MODEL_SAMPLE_RATE", "MODEL_SAMPLE_DIR", "MODEL_SAMPLE_MAX_BYTES", "MODEL_SAMPLE_MAX_FILES",
    "MODEL_VERSION", "MODEL_GIT_COMMIT", "MODEL_DATA_MD5", "MODEL_THREADS", "MODEL_OFFLOAD_ROWS",
)  # fmt: skip
MODEL = "credit-scoring"


class Client:
    """A synchronous httpx client over the ASGI app, in process (no sockets)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://test")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request and return the response."""
        return self.loop.run_until_complete(self.http.request(method, path, **kwargs))

    def get(self, path: str) -> httpx.Response:
        """GET `path`."""
        return self.request("GET", path)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """POST to `path` (json=…, or content=… for raw bytes)."""
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        """Release the client and its event loop."""
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()
        self.app.close()


def client_for(model_dir: Path) -> Client:
    """A fresh app (reading the current environment) wrapped in a client."""
    return Client(create_app(model_dir))


def serving_env(**extra: str) -> dict[str, str]:
    """For a server process: this environment without any SERVING_ENV variable, plus `extra`."""
    return {k: v for k, v in os.environ.items() if k not in SERVING_ENV} | extra


@contextmanager
def serving_client(model_dir: Path, mp: pytest.MonkeyPatch, **env: str) -> Iterator[Client]:
    """A client over a fresh app that sees no SERVING_ENV variable but `env` (set through `mp`)."""
    for name in SERVING_ENV:
        mp.delenv(name, raising=False)
    for name, value in env.items():
        mp.setenv(name, value)
    client = client_for(model_dir)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def serving_app(model_dir: Path, mp: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    """A fresh app that sees no SERVING_ENV variable (unset through `mp`), closed after."""
    for name in SERVING_ENV:
        mp.delenv(name, raising=False)
    app = create_app(model_dir)
    try:
        yield app
    finally:
        app.close()


def copy_models(workspace: Path, dest: Path) -> Path:
    """Copy the trained model folder so a test may tamper with it."""
    shutil.copytree(workspace / "models", dest)
    return dest


def schema_of(model_dir: Path, max_rows: int = 100) -> RequestSchema:
    """The request schema the server builds from model.json."""
    import json

    return RequestSchema.from_model_meta(
        json.loads((model_dir / "model.json").read_text()), max_rows
    )


def contract_of(model_dir: Path) -> Contract:
    """The contract stored in model.json."""
    import json

    return Contract.from_dict(json.loads((model_dir / "model.json").read_text())["contract"])


def read_rows(test_csv: Path, contract: Contract) -> list[dict[str, Any]]:
    """Test-split rows as JSON instances: empty cells become null."""
    kinds = {c.name: c.kind for c in contract.features}
    convert = {"int": int, "float": float, "category": str}
    rows = []
    with test_csv.open(newline="") as fh:
        for record in csv.DictReader(fh):
            rows.append(
                {n: (convert[k](record[n]) if record[n] != "" else None) for n, k in kinds.items()}
            )
    return rows


def to_tensors(rows: list[dict[str, Any]], contract: Contract, nested: bool = False) -> list[dict]:
    """Open Inference Protocol inputs (pandas codec) for `rows`."""
    types = {"category": "BYTES", "int": "INT64", "float": "FP64"}
    out = []
    for col in contract.features:
        data: list[Any] = [r[col.name] for r in rows]
        if nested:
            data = [[v] for v in data]
        shape = [len(rows), 1] if nested else [len(rows)]
        out.append({"name": col.name, "datatype": types[col.kind], "shape": shape, "data": data})
    return out
