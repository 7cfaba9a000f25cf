"""What one client may cost the server: rows, body and header bytes, read time, connections.

The pod has 512 MiB; a 200 MB header or 60 half-sent 4 MiB bodies used to take most of it.
Every bound here is read from the environment once, at start-up, and a bad value stops
the server with a message naming the variable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model import config

DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY = 4 << 20
DEFAULT_MAX_HEADER = 16 << 10  # nginx's large_client_header_buffers is 4 x 8 KiB
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0  # 4 MiB at ~1 Mbit/s
DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_MAX_BUFFERED = 64 << 20  # with ~110 MiB at rest, far inside the 512 MiB pod limit
# ONNX Runtime takes ~0.2 ms for 64 rows here, well above a thread hand-off (serving/offload.py)
DEFAULT_OFFLOAD_ROWS = 64


def _number(name: str, default: float, minimum: float) -> float:
    """A positive number from `name`; ValueError naming it when malformed."""
    raw = config.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # "inf" or "1e999" would be no limit, or an OverflowError
        raise ValueError(
            f"{name} must be a number (default {default:g}), found {raw[:40]!r}; fix or unset it"
        )
    if not value >= minimum:
        raise ValueError(f"{name} must be at least {minimum:g}, found {value:g}; fix or unset it")
    return value


@dataclass(frozen=True)
class Limits:
    """Per-request and per-process bounds (see model/config.py for each variable)."""

    max_rows: int = DEFAULT_MAX_ROWS
    max_body: int = DEFAULT_MAX_BODY
    max_header: int = DEFAULT_MAX_HEADER
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_buffered: int = DEFAULT_MAX_BUFFERED
    offload_rows: int = DEFAULT_OFFLOAD_ROWS

    def offloads(self, rows: int) -> bool:
        """Whether a request of `rows` rows is scored on the scoring thread (0: never). One
        row never is, whatever the setting: one-row runs fill a feed that models share
        (inference.one_row_feed), safe only while the loop alone scores them."""
        return rows > 1 and 0 < self.offload_rows <= rows

    @classmethod
    def from_env(cls) -> Limits:
        """Read the bounds; a malformed value is a start-up error for people."""
        return cls(
            max_rows=int(_number(config.MODEL_MAX_ROWS, DEFAULT_MAX_ROWS, 1)),
            max_body=int(_number(config.MODEL_MAX_BODY_BYTES, DEFAULT_MAX_BODY, 1024)),
            max_header=int(_number(config.MODEL_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER, 1024)),
            header_timeout=_number(config.MODEL_HEADER_TIMEOUT, DEFAULT_HEADER_TIMEOUT, 0.1),
            body_timeout=_number(config.MODEL_BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT, 0.1),
            max_connections=int(_number(config.MODEL_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS, 1)),
            max_buffered=int(_number(config.MODEL_MAX_BUFFERED_BYTES, DEFAULT_MAX_BUFFERED, 1024)),
            offload_rows=int(_number(config.MODEL_OFFLOAD_ROWS, DEFAULT_OFFLOAD_ROWS, 0)),
        )
