"""Ship closed sample files to object storage (S3 API) from a background thread.

The request path only ever enqueues a path (`put_nowait`): the upload, its retries and any
network stall happen in the shipper's thread. The queue is bounded; when it is full the file
is dropped (deleted) and counted through `on_error` (`model_sample_write_errors`), never
waiting. The endpoint and keys are boto3's own: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import queue
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("model.serving")
SCHEME = "s3://"
QUEUE_FILES = 8  # closed files waiting for upload; at 4 MiB each, 32 MiB of staging at most
CLOSE_TIMEOUT = 10.0  # seconds shutdown waits for the last uploads (the pod's grace is 30)
_STOP = Path()  # sentinel: an empty path never names a sample file


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix"); ValueError when malformed."""
    if not uri.startswith(SCHEME):
        raise ValueError(f"expected an s3://bucket[/prefix] URI; got {uri!r}")
    bucket, _, prefix = uri[len(SCHEME) :].partition("/")
    if not bucket:
        raise ValueError(f"expected an s3://bucket[/prefix] URI; got {uri!r}")
    return bucket, prefix.strip("/")


def have_boto3() -> bool:
    """True when boto3 can be imported (the `s3` extra)."""
    return importlib.util.find_spec("boto3") is not None


class Shipper:
    """Uploads files to s3://bucket/prefix/<host>/<name> and deletes them locally."""

    def __init__(
        self,
        uri: str,
        on_error: Callable[[], None] | None = None,
        max_queued: int = QUEUE_FILES,
        client: Any = None,
    ) -> None:
        self.bucket, prefix = split_uri(uri)
        # One folder per pod: replicas (all pid 1 in their containers) never share a key.
        self.prefix = "/".join(p for p in (prefix, socket.gethostname()) if p)
        self.on_error = on_error
        self.shipped = 0
        self._client = client
        self._queue: queue.Queue[Path] = queue.Queue(maxsize=max(max_queued, 1))
        self._warned = False
        self._thread = threading.Thread(target=self._run, name="sample-shipper", daemon=True)
        self._thread.start()

    def ship(self, path: Path) -> None:
        """Queue a closed file for upload; when the queue is full, drop it and count the drop."""
        try:
            self._queue.put_nowait(path)
        except queue.Full:
            path.unlink(missing_ok=True)
            self._failed(f"upload queue full ({self._queue.maxsize} files); dropped {path.name}")

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Upload what is queued (up to `timeout` seconds), then stop the thread."""
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (path := self._queue.get()) != _STOP:
            try:
                self._upload(path)
                self.shipped += 1
            except Exception as err:  # the bucket is down or refuses: count, keep serving
                self._failed(f"{type(err).__name__}: {err}")
            finally:
                path.unlink(missing_ok=True)

    def _upload(self, path: Path) -> None:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        key = f"{self.prefix}/{path.name}" if self.prefix else path.name
        self._client.put_object(Bucket=self.bucket, Key=key, Body=path.read_bytes())

    def _failed(self, why: str) -> None:
        if self.on_error:
            self.on_error()
        if not self._warned:  # once: a dead bucket must not flood the log
            self._warned = True
            log.warning("sample upload failed, predictions unaffected: %s", why)
