"""`model serve`'s uvicorn settings, which the benchmark's HTTP floor runs under too."""

from __future__ import annotations

import pytest

from model.serving.guard import GuardedProtocol
from model.serving.limits import Limits
from model.serving.run import uvicorn_options

pytestmark = pytest.mark.unit


def test_the_fast_stack_without_per_request_logging() -> None:
    limits = Limits(max_connections=7)
    rejected: list[int] = []
    options = uvicorn_options(limits, rejected.append)
    assert options["loop"] == "uvloop"  # the serve extra installs it
    assert options["access_log"] is False and options["server_header"] is False
    assert options["proxy_headers"] is False  # no per-request X-Forwarded-* middleware
    assert options["limit_concurrency"] == 7 and options["lifespan"] == "on"
    protocol = options["http"]
    assert issubclass(protocol, GuardedProtocol) and protocol.limits is limits
    protocol.on_reject(431)
    assert rejected == [431]


def test_uvicorn_accepts_every_option() -> None:
    from uvicorn import Config

    Config(app=lambda scope, receive, send: None, **uvicorn_options(Limits(), lambda s: None))
