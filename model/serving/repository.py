"""A model repository: many models per process, loaded lazily, evicted LRU under a budget.

The catalog is either a directory of `<name>/` model folders (each with model.json,
model.onnx and its model.sha256), or a YAML/JSON index listing `name`, `uri` (a folder,
relative to the index, or file://) and `sha256` per model. Every load verifies the bundle
against its pin before a byte is parsed; a model that fails is never ready, and the others
keep serving. MODEL_MEMORY_BUDGET bounds what stays resident: a number of models ("100") or
bytes ("300MiB"), each model costed by the resident memory its load added (an estimate).
Names that pin the same digest share one loaded bundle, charged once.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model import config
from model.names import META_FILE
from model.serving import loaded
from model.serving.integrity import Pin, check, parse_pin, pin_beside
from model.serving.schema import RequestError

if TYPE_CHECKING:
    from model.serving.inference import OnnxModel

log = logging.getLogger("model.serving.repository")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_MODELS = 64
UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}
BUDGET = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?)?b?", re.IGNORECASE)
PAGE = os.sysconf("SC_PAGE_SIZE")
# Freed memory is reused, so later loads often add no resident pages; measured here, 100
# sessions of a 110 KB model.onnx held ~1.1 MB each: charge at least 10x the file.
SESSION_FACTOR = 10


@dataclass(frozen=True)
class Entry:
    """One registered model: where its folder is and the digest it must have."""

    name: str
    path: Path
    pin: Pin | None  # None: the pin beside the model, read at each load


@dataclass(frozen=True)
class Resident:
    """A loaded model under one name."""

    name: str
    version: str
    digest: str
    model: loaded.Loaded


@dataclass
class Bundle:
    """One verified bundle in memory, shared by every resident name that pins its digest."""

    model: loaded.Loaded
    cost: int  # resident bytes its load added, at least SESSION_FACTOR x its model.onnx
    holders: int = 0


@dataclass(frozen=True)
class MemoryBudget:
    """At most `models` resident models, or at most `bytes` of them."""

    models: int | None = DEFAULT_MODELS
    bytes: int | None = None

    @classmethod
    def parse(cls, raw: str | None) -> MemoryBudget:
        """'100' (models) or '300MiB' (bytes); unset means DEFAULT_MODELS models."""
        text = (raw or "").strip()
        if not text:
            return cls()
        if text.isdigit() and int(text) >= 1:
            return cls(models=int(text))
        match = BUDGET.fullmatch(text)
        if match and match.group(2) and float(match.group(1)) > 0:
            size = float(match.group(1)) * UNITS[match.group(2).lower()]
            return cls(models=None, bytes=int(size))
        raise ValueError(
            f"{config.MODEL_MEMORY_BUDGET} must be a model count (100) or a size (300MiB, 1GB), "
            f"found {text[:40]!r}; fix or unset it"
        )


def _entry(name: Any, uri: Any, sha256: Any, index: Path) -> Entry:
    """One index entry, checked; errors name the index, the pin source only its file name."""
    where = f"{index}: {name!r:.40}"
    if type(name) is not str or not NAME.fullmatch(name):
        raise ValueError(f"{where}: name {name!r:.40} must match {NAME.pattern}")
    if type(uri) is not str or not uri:
        raise ValueError(f"{where}: uri must be a folder path or file:// URI")
    if "://" in uri and not uri.startswith("file://"):
        raise ValueError(f"{where}: uri {uri!r:.60} is not local; only folders and file://")
    if type(sha256) is not str:  # YAML reads an all-digit digest as a number: refuse it
        raise ValueError(f"{where}: sha256 must be a (quoted) string of 64 hex characters")
    path = Path(uri.removeprefix("file://"))
    pin = parse_pin(sha256, f"{index.name} entry {name!r}")  # served: never a full path
    return Entry(name, path if path.is_absolute() else index.parent / path, pin)


def _from_index(index: Path) -> list[Entry]:
    """Entries of a YAML/JSON index: a list of {name, uri, sha256}, or {name: {uri, sha256}}."""
    text = index.read_text()
    if index.suffix == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if isinstance(data, dict) and "models" in data:
        data = data["models"]
    if isinstance(data, dict):
        data = [{"name": k, **(v if isinstance(v, dict) else {})} for k, v in data.items()]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ValueError(f"{index}: expected a list of {{name, uri, sha256}} entries")
    return [_entry(d.get("name"), d.get("uri"), d.get("sha256"), index) for d in data]


def read_catalog(source: Path, require_pin: bool) -> dict[str, Entry]:
    """The registered models of a repository directory or index file."""
    if source.is_dir():
        if require_pin:
            raise ValueError(
                f"{config.MODEL_REQUIRE_PIN} is on, but a repository directory carries only the "
                "pins beside its models; serve an index with a sha256 per model"
            )
        folders = sorted(p for p in source.iterdir() if (p / META_FILE).is_file())
        entries = [Entry(p.name, p, None) for p in folders if NAME.fullmatch(p.name)]
    elif source.is_file():
        entries = _from_index(source)
    else:
        raise ValueError(f"model repository {source} is neither a folder nor an index file")
    catalog = {e.name: e for e in entries}
    if len(catalog) != len(entries):
        raise ValueError(f"{source}: a model name is listed twice")
    if not catalog:
        raise ValueError(f"{source}: no models (a folder needs <name>/{META_FILE})")
    return catalog


def _resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * PAGE


def _trim() -> None:
    """Hand freed heap back to the OS after a compile. A compile frees ~1 MB of short-lived
    objects between long-lived ones; 300 loads with 100 resident held 343 MB without this,
    234 MB with it, 164 MB with no compiled scorers (benchmarks/compiled_scorer.py)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # ctypes releases the GIL for the call: the event loop runs on


@cache
def _malloc_trim() -> Any:
    """glibc's malloc_trim, or None where the C library is not glibc."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _version(path: Path, digest: str) -> str:
    """build-info.json's version when the folder has one, else the digest's first 12 hex."""
    try:
        version = json.loads((path / "build-info.json").read_text()).get("version")
    except (OSError, ValueError, AttributeError):
        version = None
    return str(version) if version else digest[:12]


class Repository:
    """The catalog plus the LRU of resident models (one event loop: no locks)."""

    def __init__(
        self, catalog: dict[str, Entry], budget: MemoryBudget, max_rows: int, threads: int = 1
    ) -> None:
        self.catalog = catalog
        self.budget = budget
        self.max_rows = max_rows
        self.threads = threads
        self.resident: OrderedDict[str, Resident] = OrderedDict()
        self.failed: dict[str, str] = {}
        # Names pinning one digest (aliases, a canary equal to stable) share one session: a
        # second copy would cost its memory and, while both take requests, its CPU caches.
        self.bundles: dict[str, Bundle] = {}
        self.used = 0  # the cost of the bundles in memory
        self.on_load: Any = None  # (name, outcome, seconds) -> None, set by the server
        self.on_evict: Any = None  # (name) -> None
        # Compiled one-row scorers are built off the request path, one at a time: a cold
        # load answers its first request with ONNX Runtime instead of waiting ~20 ms more.
        self.compiler: ThreadPoolExecutor | None = None
        self.compiling = 0  # models queued or being compiled
        self._compiling_lock = threading.Lock()

    def get(self, name: str) -> Resident:
        """The resident model `name`, loading it on first use (hot path: one dict lookup)."""
        found = self.resident.get(name)
        if found is not None:
            self.resident.move_to_end(name)
            return found
        return self.load(name, retry=False)

    def entry(self, name: str) -> Entry:
        """The registered model `name`; 404 when the repository has none."""
        entry = self.catalog.get(name)
        if entry is None:
            raise RequestError(
                404, f"unknown model {name[:60]!r}; POST /v2/repository/index lists the models"
            )
        return entry

    def load(self, name: str, retry: bool = True) -> Resident:
        """Verify and load `name` (a failed model is retried only when asked explicitly)."""
        entry = self.entry(name)
        if name in self.resident:
            return self.get(name)
        if name in self.failed and not retry:
            raise RequestError(503, f"model {name!r} not ready: {self.failed[name]}")
        start, before = time.perf_counter(), _resident_bytes()
        integrity = check(entry.path, entry.pin or pin_beside(entry.path))
        if not integrity.ok:  # never even parse bytes that do not match the pin
            self._fail(name, integrity.reason, start)
        bundle = self.bundles.get(integrity.actual)  # same digest: the very same bytes
        if bundle is None:
            try:
                built = loaded.build(integrity.files, self.max_rows, self.threads, True)
            except Exception as err:  # pinned but unusable: not ready, one line, no traceback
                self._fail(name, loaded.failure(err), start)
            onnx = max(len(b) for b in integrity.files.values())
            cost = max(_resident_bytes() - before, SESSION_FACTOR * onnx)
            bundle = self.bundles[integrity.actual] = Bundle(built, cost)
            self.used += cost
            if built.model.compile_pending:
                self._compile_later(built.model)
        bundle.holders += 1
        version = _version(entry.path, integrity.actual)
        resident = Resident(name, version, integrity.actual, bundle.model)
        self.failed.pop(name, None)
        self.resident[name] = resident
        self._evict()
        if self.on_load:
            self.on_load(name, "loaded", time.perf_counter() - start)
        return resident

    def _compile_later(self, model: OnnxModel) -> None:
        if self.compiler is None:
            self.compiler = ThreadPoolExecutor(1, thread_name_prefix="compile-trees")
        with self._compiling_lock:
            self.compiling += 1
        # done callbacks also run for a compile close() cancels: the count stays true
        self.compiler.submit(self._compile, model).add_done_callback(self._compiled)

    @staticmethod
    def _compile(model: OnnxModel) -> None:
        model.compile()  # never raises: a model that does not compile keeps ONNX Runtime
        _trim()

    def _compiled(self, _: Any) -> None:
        with self._compiling_lock:
            self.compiling -= 1

    def close(self) -> None:
        """Drop compiles not yet started and stop the compiler thread."""
        if self.compiler is not None:
            self.compiler.shutdown(wait=False, cancel_futures=True)

    def _fail(self, name: str, reason: str, start: float) -> Any:
        self.failed[name] = reason
        log.error("model %s refused: %s", name, reason)
        if self.on_load:
            self.on_load(name, "failed", time.perf_counter() - start)
        raise RequestError(503, f"model {name!r} not ready: {reason}")

    def _over(self) -> bool:
        models, size = self.budget.models, self.budget.bytes
        return (models is not None and len(self.resident) > models) or (
            size is not None and self.used > size
        )

    def _evict(self) -> None:
        """Drop least recently used models until within budget (never the one just loaded)."""
        while len(self.resident) > 1 and self._over():
            oldest = next(iter(self.resident))
            self.unload(oldest)
            if self.on_evict:
                self.on_evict(oldest)

    def unload(self, name: str) -> bool:
        """Drop `name` from memory; False when it was not resident."""
        resident = self.resident.pop(name, None)
        if resident is None:
            return False
        bundle = self.bundles[resident.digest]
        bundle.holders -= 1
        if not bundle.holders:  # its last name: the session goes
            del self.bundles[resident.digest]
            self.used -= bundle.cost
            bundle.model.model.drop_pending_compile()
        return True

    def state(self, name: str) -> dict[str, Any]:
        """One model's repository-index entry (Triton's READY / UNAVAILABLE states)."""
        resident = self.resident.get(name)
        if resident is not None:
            return {"name": name, "version": resident.version, "state": "READY", "reason": ""}
        reason = self.failed.get(name) or "not loaded; loads on first inference or on load"
        return {"name": name, "state": "UNAVAILABLE", "reason": reason}
