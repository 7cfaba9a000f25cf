"""Every serving limit read from the environment: a value that is not a finite number stops
the server with a message naming the variable (never an OverflowError, never no limit)."""

from __future__ import annotations

import pytest

from model import config
from model.serving.limits import Limits

pytestmark = pytest.mark.unit

LIMITS = (
    config.MODEL_MAX_ROWS, config.MODEL_MAX_BODY_BYTES, config.MODEL_MAX_HEADER_BYTES,
    config.MODEL_HEADER_TIMEOUT, config.MODEL_BODY_TIMEOUT, config.MODEL_MAX_CONNECTIONS,
    config.MODEL_MAX_BUFFERED_BYTES, config.MODEL_OFFLOAD_ROWS,
)  # fmt: skip


@pytest.mark.parametrize("name", LIMITS)
@pytest.mark.parametrize("raw", ["inf", "1e999", "-inf", "nan"])
def test_a_limit_that_is_not_finite_is_a_start_up_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    for other in LIMITS:
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValueError, match=name):
        Limits.from_env()
