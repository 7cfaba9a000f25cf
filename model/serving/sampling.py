"""Optional request sampling for drift monitoring: bounded, rotating JSON-lines files.

Each sampled row becomes one line {"ts": unix, "features": {...}, "score": p}
in `samples-<ns>-<pid>.jsonl` under MODEL_SAMPLE_DIR (read by `model drift`). Off unless
MODEL_SAMPLE_RATE > 0. Lines are buffered for at most 1 s (or 64 KiB) and written whole;
the server calls `flush_pending` on a 1 s timer, so a crash loses at most the last second.
A write failure is logged once and never fails the request.

MODEL_SAMPLE_DIR may be an object-storage URI, `s3://bucket/prefix`: files are then written
to a local staging folder and, once closed (full, older than MAX_AGE_SECONDS, or at
shutdown), shipped to `prefix/<host>/` by a background thread (model/serving/shipping.py)
through the stdlib S3 client (model/s3client.py: the serving image has no botocore),
configured by the standard AWS_* variables (keys, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL[_S3]).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from model import config
from model.s3client import S3Client, S3Error, check_bucket
from model.serving.schema import MISSING_CATEGORY
from model.serving.shipping import SCHEME, Shipper, split_uri

log = logging.getLogger("model.serving")
PREFIX = "samples-"
SUFFIX = ".jsonl"
DEFAULT_MAX_BYTES = 4 << 20
DEFAULT_MAX_FILES = 4  # 16 MiB at most: well inside the pod's 64 MiB /tmp emptyDir
# Lines are buffered and written at most this late / this large: a crash loses <= 1 s.
FLUSH_SECONDS = 1.0
FLUSH_BYTES = 64 << 10
# Object storage: a file is closed and shipped at the latest this old, so a drift check sees
# traffic at most a minute late even when a file is far from full.
MAX_AGE_SECONDS = 60.0


class Sampler:
    """Writes a random fraction of scored rows to size-capped files, keeping the newest few."""

    def __init__(
        self,
        directory: Path,
        rate: float,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_files: int = DEFAULT_MAX_FILES,
        on_error: Callable[[], None] | None = None,
        shipper: Shipper | None = None,
        max_age: float = MAX_AGE_SECONDS,
    ) -> None:
        self.directory = directory
        self.shipper = shipper  # None: files stay in `directory`, the newest max_files kept
        self.max_age = max_age
        self._opened = 0.0
        self._path: Path | None = None
        self.rate = min(max(rate, 0.0), 1.0)
        self.max_bytes = max(max_bytes, 1024)
        self.max_files = max(max_files, 1)
        self.on_error = on_error
        self._fh: IO[bytes] | None = None
        self._size = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._flushed = 0.0  # the first sample is written at once: a bad directory shows early
        self._warned = False
        self._names: tuple[str, ...] = ()
        self._text: list[str] = []

    @classmethod
    def from_env(cls, on_error: Callable[[], None] | None = None) -> Sampler | None:
        """A sampler configured by MODEL_SAMPLE_*; None when sampling is off (the default)."""
        try:
            rate = float(config.get(config.MODEL_SAMPLE_RATE, "0") or 0)
            max_bytes = int(config.get(config.MODEL_SAMPLE_MAX_BYTES, str(DEFAULT_MAX_BYTES)) or 0)
            max_files = int(config.get(config.MODEL_SAMPLE_MAX_FILES, str(DEFAULT_MAX_FILES)) or 0)
        except ValueError as err:
            log.error("sampling disabled: bad MODEL_SAMPLE_* value (%s)", err)
            return None
        if not rate > 0:
            return None
        default_dir = Path(tempfile.gettempdir()) / "credit-scoring-samples"
        target = config.get(config.MODEL_SAMPLE_DIR, str(default_dir)) or str(default_dir)
        if not target.startswith(SCHEME):
            log.info("sampling %.3g of scored rows to %s", rate, target)
            return cls(Path(target), rate, max_bytes, max_files, on_error)
        return cls._to_bucket(target, rate, max_bytes, max_files, on_error)

    @classmethod
    def _to_bucket(
        cls,
        uri: str,
        rate: float,
        max_bytes: int,
        max_files: int,
        on_error: Callable[[], None] | None,
    ) -> Sampler | None:
        """A sampler staging files in a private temp folder and shipping them to `uri`."""
        try:
            check_bucket(split_uri(uri)[0])
        except ValueError as err:
            log.error("sampling disabled: MODEL_SAMPLE_DIR: %s", err)
            return None
        try:
            client = S3Client.from_env()
        except S3Error as err:  # missing keys or a bad endpoint: say so once, serve on
            log.error("sampling disabled: cannot ship to %s: %s", uri, err)
            return None
        staging = Path(tempfile.mkdtemp(prefix="credit-scoring-samples-"))
        where = client.endpoint or f"AWS {client.region}"
        log.info(
            "sampling %.3g of scored rows to %s at %s (staged in %s)", rate, uri, where, staging
        )
        shipper = Shipper(uri, on_error, max_queued=max_files, client=client)
        return cls(staging, rate, max_bytes, max_files, on_error, shipper)

    def record(
        self, names: tuple[str, ...], columns: dict[str, list[Any]], scores: list[float]
    ) -> None:
        """Sample rows of one request; never raises."""
        try:
            self._record(names, columns, scores)
        except Exception as err:  # a full disk or a read-only mount must not cost a prediction
            self._failed(err)

    def _failed(self, err: Exception) -> None:
        """Drop the buffer, count the failure, warn once."""
        self._pending.clear()
        self._pending_bytes = 0
        self._close()
        if self.on_error:
            self.on_error()
        if not self._warned:
            self._warned = True
            log.warning(
                "request sampling failed, predictions unaffected: %s: %s", type(err).__name__, err
            )

    def _record(
        self, names: tuple[str, ...], columns: dict[str, list[Any]], scores: list[float]
    ) -> None:
        rate = self.rate
        now = time.time()
        lines = []
        picked = [i for i in range(len(scores)) if rate >= 1.0 or random.random() < rate]
        if not picked:
            return
        # orjson writes numpy scalars itself and NaN as null: only the categories' "missing"
        # placeholder needs turning back into null (cheaper than converting every column).
        # The schema fixes each column's kind, so the text columns are found once per schema.
        if names is not self._names:
            self._names, self._text = names, [
                n for n in names
                if getattr(columns[n], "dtype", None) is None or columns[n].dtype.kind in "OUS"
            ]  # fmt: skip
        text = self._text
        for i in picked:
            features = {n: columns[n][i] for n in names}
            for n in text:
                if features[n] == MISSING_CATEGORY:
                    features[n] = None
            line = {"ts": now, "features": features, "score": scores[i]}
            lines.append(orjson.dumps(line, option=orjson.OPT_SERIALIZE_NUMPY))
        self._pending.extend(lines)
        self._pending_bytes += sum(map(len, lines)) + len(lines)
        if self._pending_bytes >= FLUSH_BYTES or now - self._flushed >= FLUSH_SECONDS:
            self._flush(now)

    def flush_pending(self, now: float) -> None:
        """Write whatever is buffered (the server's FLUSH_SECONDS timer); never raises."""
        if self._pending:
            try:
                self._flush(now)
            except Exception as err:
                self._failed(err)
        if self.shipper is not None and self._size and now - self._opened >= self.max_age:
            self._close()  # old enough: ship it; the next sample opens a new file

    def _flush(self, now: float) -> None:
        """Write buffered lines, rotating so that no file outgrows max_bytes."""
        lines, self._pending, self._pending_bytes, self._flushed = self._pending, [], 0, now
        batch: list[bytes] = []
        for line in lines:
            if self._fh is None or (self._size and self._size + len(line) + 1 > self.max_bytes):
                self._write_out(batch)
                self._rotate()
            batch.append(line)
            self._size += len(line) + 1
        self._write_out(batch)

    def _write_out(self, batch: list[bytes]) -> None:
        """One write + flush per batch: readers only ever see whole lines."""
        if batch and self._fh is not None:
            self._fh.write(b"".join(line + b"\n" for line in batch))
            self._fh.flush()
        batch.clear()

    def _rotate(self) -> None:
        """Start a new file and delete the oldest beyond max_files."""
        self._close()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{PREFIX}{time.time_ns():020d}-{os.getpid()}{SUFFIX}"
        self._fh, self._path = path.open("ab"), path
        self._size, self._opened = 0, time.time()
        if self.shipper is not None:  # closed files leave with the shipper, not by age here
            return
        files = sorted(self.directory.glob(f"{PREFIX}*{SUFFIX}"))
        for old in files[: max(len(files) - self.max_files, 0)]:
            old.unlink(missing_ok=True)

    def close(self) -> None:
        """Write what is buffered and close the file (on shutdown)."""
        try:
            self._flush(time.time())
        except Exception as err:
            log.warning("request sampling: final flush failed: %s", err)
        self._close()
        if self.shipper is not None:
            self.shipper.close()

    def _close(self) -> None:
        """Close the current file; with a shipper, hand it over (an empty one is deleted)."""
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
        path, self._path = self._path, None
        if self.shipper is not None and path is not None:
            if self._size:
                self.shipper.ship(path)
            else:
                path.unlink(missing_ok=True)
        self._size = 0
