"""Refuse a model whose bytes differ from the digest pinned at deploy time.

The digest covers everything the server decides with: model.onnx (the scorer) and
model.json (threshold and contract), as the sha256 of their manifest (model.core.artifact).
Reasons name files by their model-directory name, never by a file-system path: they are
served on /v2/health/ready.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from model import config
from model.core.artifact import bundle_sha256, read_bundle  # stdlib only at import
from model.names import PIN_FILE

_HEX64 = re.compile(r"[0-9a-f]{64}")
FORMAT = "64 hex characters, optionally prefixed 'sha256:'"


@dataclass(frozen=True)
class Pin:
    """A pinned digest and where it came from; `problem` is set when there is none."""

    digest: str
    source: str
    problem: str = ""


@dataclass(frozen=True)
class Integrity:
    """The outcome of the start-up digest check; `files` holds the verified bytes."""

    ok: bool
    actual: str
    expected: str
    source: str
    reason: str = ""
    files: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)


def parse_pin(raw: bytes | str, source: str) -> Pin:
    """Read '<hex>', 'sha256:<hex>' or '<hex>  name' (sha256sum); never raises."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            return Pin("", source, f"{source} is not ASCII text; expected {FORMAT}")
    words = raw.strip().lower().removeprefix("sha256:").split()
    value = words[0] if words else ""
    if not _HEX64.fullmatch(value):
        shown = f"{len(value)} characters" if value else "nothing"
        return Pin("", source, f"{source} holds {shown}, not a sha256 digest; expected {FORMAT}")
    return Pin(value, source)


def pinned_digest(model_dir: Path, require: bool) -> Pin:
    """MODEL_SHA256, else MODEL_SHA256_FILE, else (unless `require`) the pin beside the model."""
    if (value := config.get(config.MODEL_SHA256)) is not None:
        return parse_pin(value, config.MODEL_SHA256)
    if path := config.get(config.MODEL_SHA256_FILE):
        return _pin_file(Path(path), config.MODEL_SHA256_FILE)
    if require:
        return Pin(
            "",
            config.MODEL_SHA256,
            f"{config.MODEL_REQUIRE_PIN} is on but {config.MODEL_SHA256} and "
            f"{config.MODEL_SHA256_FILE} are empty; set MODEL_SHA256 to the promoted digest "
            "(the overlay's release patch)",
        )
    return _pin_file(model_dir / PIN_FILE, f"{PIN_FILE} beside the model (no deploy-time pin)")


def _pin_file(path: Path, source: str) -> Pin:
    try:
        raw = path.read_bytes()[:4096]  # a digest line is ~80 bytes: never read a huge file
    except OSError as err:
        return Pin("", source, f"{source} is unreadable ({err.strerror})")
    return parse_pin(raw, source)


def verify(model_dir: Path, require_pin: bool = False) -> Integrity:
    """Compare the bundle digest of `model_dir` with the pinned one."""
    return check(model_dir, pinned_digest(model_dir, require_pin))


def pin_beside(model_dir: Path) -> Pin:
    """The pin file in `model_dir` (a repository folder's own pin)."""
    return _pin_file(model_dir / PIN_FILE, f"{PIN_FILE} beside the model")


def check(model_dir: Path, pin: Pin) -> Integrity:
    """Compare the bundle digest of `model_dir` with `pin`."""
    try:
        files = read_bundle(model_dir)
    except OSError as err:
        name = Path(err.filename or "?").name
        return Integrity(False, "", pin.digest, pin.source, f"cannot read {name}: {err.strerror}")
    actual = bundle_sha256(files)
    if pin.problem:
        return Integrity(False, actual, "", pin.source, pin.problem)
    if actual != pin.digest:
        reason = (
            f"the model (model.json + model.onnx) has sha256 {actual}, but {pin.source} pins "
            f"{pin.digest}; deploy the image built for this digest or fix the pin"
        )
        return Integrity(False, actual, pin.digest, pin.source, reason)
    return Integrity(True, actual, pin.digest, pin.source, files=files)
