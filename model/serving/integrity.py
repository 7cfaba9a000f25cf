"""Refuse a model whose bytes differ from the digest pinned at deploy time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from model import env
from model.artifact import sha256_file  # stdlib at import time: fine for the serving image

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Integrity:
    """The outcome of the start-up digest check."""

    ok: bool
    actual: str
    expected: str
    source: str
    reason: str = ""


def _normalise(value: str) -> str:
    value = value.strip().lower()
    return value.removeprefix("sha256:").split()[0] if value else value


def pinned_digest(fallback: str | None) -> tuple[str, str]:
    """(digest, where it came from): MODEL_SHA256, else MODEL_SHA256_FILE, else model.json."""
    if value := env.get(env.MODEL_SHA256):
        return _normalise(value), env.MODEL_SHA256
    if path := env.get(env.MODEL_SHA256_FILE):
        try:
            return _normalise(Path(path).read_text()), f"{env.MODEL_SHA256_FILE}={path}"
        except OSError as err:
            return "", f"{env.MODEL_SHA256_FILE}={path} (unreadable: {err.strerror})"
    return _normalise(fallback or ""), "model.json (no deploy-time digest set)"


def verify(model_path: Path, fallback: str | None) -> Integrity:
    """Compare the model file's sha256 with the pinned digest."""
    expected, source = pinned_digest(fallback)
    try:
        actual = sha256_file(model_path)
    except OSError as err:
        return Integrity(False, "", expected, source, f"cannot read {model_path}: {err.strerror}")
    if not _HEX64.match(expected):
        return Integrity(False, actual, expected, source, f"no valid sha256 digest from {source}")
    if actual != expected:
        reason = (
            f"{model_path} has sha256 {actual}, but {source} pins {expected}; "
            "deploy the image built for this digest or fix the pinned digest"
        )
        return Integrity(False, actual, expected, source, reason)
    return Integrity(True, actual, expected, source)
