"""The binary tensor data extension (Triton's, as tritonclient speaks it), bounded.

A request whose `Inference-Header-Content-Length` header is L carries an L-byte JSON
header, then each input's raw bytes in input order, sized by its `binary_data_size`
parameter. Numbers are little-endian; a BYTES element is a 4-byte little-endian length and
that many bytes. Every size is checked against the body before a byte is read, so a hostile
size is a 400 naming it, never an allocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.serving.schema import FLOAT32_MAX, RequestError, _show

if TYPE_CHECKING:
    from collections.abc import Sequence

DTYPES = {"FP32": np.dtype("<f4"), "FP64": np.dtype("<f8"), "INT64": np.dtype("<i8")}
MAX_HEADER_DIGITS = 12  # a body is at most MODEL_MAX_BODY_BYTES: no honest length is longer
LENGTH = 4  # the BYTES element length prefix
HEADER_LENGTH = b"inference-header-content-length"
BINARY_HEADERS = [(b"content-type", b"application/octet-stream")]


def split(body: bytes, header_length: bytes) -> tuple[bytes, memoryview]:
    """(JSON header, the binary tail) of a body framed by Inference-Header-Content-Length."""
    raw = header_length.strip()
    if not raw.isdigit() or len(raw) > MAX_HEADER_DIGITS:
        raise RequestError(
            400,
            f"Inference-Header-Content-Length: expected the JSON header's byte count, "
            f"got {_show(raw[:40].decode('ascii', 'replace'))}",
        )
    size = int(raw)
    if not 0 < size <= len(body):
        raise RequestError(
            400,
            f"Inference-Header-Content-Length: {size} is not within the {len(body)}-byte body; "
            "it must count the JSON header that starts the body",
        )
    return body[:size], memoryview(body)[size:]


@dataclass
class Tail:
    """The binary part of a request, consumed input by input."""

    data: memoryview
    offset: int = 0

    def take(self, size: Any, where: str) -> memoryview:
        """The next `size` bytes; 400 unless `size` is a count the tail still holds."""
        if type(size) is not int or size < 0:
            raise RequestError(
                400,
                f"{where}.parameters.binary_data_size: expected a byte count, got {_show(size)}",
            )
        left = len(self.data) - self.offset
        if size > left:
            raise RequestError(
                400,
                f"{where}.parameters.binary_data_size: {size} bytes, but only {left} binary "
                "bytes remain in the body",
            )
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def finish(self) -> None:
        """400 when bytes are left over that no input claimed."""
        left = len(self.data) - self.offset
        if left:
            raise RequestError(
                400,
                f"body: {left} binary bytes after the last input's binary_data_size; "
                "the sizes must add up to the body after the JSON header",
            )


def numbers(chunk: memoryview, datatype: str, n: int, kind: str, nullable: bool, where: str) -> Any:
    """A numeric tensor as float64, checked as the JSON path checks it (NaN is null)."""
    dtype = DTYPES[datatype]
    if len(chunk) != n * dtype.itemsize:
        raise RequestError(
            400,
            f"{where}.parameters.binary_data_size: shape [{n}] of {datatype} needs "
            f"{n * dtype.itemsize} bytes, got {len(chunk)}",
        )
    values = np.frombuffer(chunk, dtype=dtype).astype(np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(np.argmin(finite))
        if np.isinf(values[bad]) or not nullable:
            raise RequestError(
                422, f"{where}.data[{bad}]: expected a finite number, got {values[bad]!r}"
            )
    if np.abs(values[finite]).max(initial=0.0) > FLOAT32_MAX:
        bad = int(np.argmax(np.where(finite, np.abs(values), 0.0)))
        raise RequestError(422, f"{where}.data[{bad}]: {values[bad]!r} is out of range for float32")
    if kind == "int" and datatype != "INT64":
        fractional = finite & (values != np.trunc(values))
        if fractional.any():
            bad = int(np.argmax(fractional))
            raise RequestError(
                422, f"{where}.data[{bad}]: expected an integer, got {values[bad]!r}"
            )
    return values


class Categories:
    """Decodes BYTES tensors of one categorical feature: known values in a few C-speed passes."""

    def __init__(self, categories: tuple[str, ...]) -> None:
        tokens = {len(c.encode()).to_bytes(LENGTH, "little") + c.encode(): c for c in categories}
        self.lookup = tokens
        self.listed = ", ".join(categories)
        # Each whole element (length prefix + value) is replaced by a one-byte marker that no
        # element contains, so a replacement never matches across a marker: a result of n
        # markers proves the tensor is n known elements, in order (4x fewer Python steps).
        used = set(b"".join(tokens))
        free = [b for b in range(256) if b not in used][: len(tokens)]
        self.replacements = [(t, bytes([m])) for t, m in zip(tokens, free, strict=False)]
        self.table = np.full(256, -1, dtype=np.int64)
        self.table[free] = np.arange(len(free))
        self.names = np.array(list(tokens.values()), dtype=object)
        self.complete = len(free) == len(tokens)  # else every tensor takes the precise path

    def decode(self, chunk: memoryview, n: int, where: str) -> Sequence[str]:
        """n category strings (an object array when all are known, as the ONNX feed takes
        them: no list in between); 400 on bad framing, 422 naming an unknown value."""
        data = raw = bytes(chunk)
        if self.complete:
            for token, marker in self.replacements:
                data = data.replace(token, marker)
            if len(data) == n:
                index = self.table[np.frombuffer(data, dtype=np.uint8)]
                if index.min(initial=0) >= 0:
                    return self.names[index]  # type: ignore[no-any-return]
        return self._precise(raw, n, where)

    def _precise(self, raw: bytes, n: int, where: str) -> list[str]:
        """Element by element, to name the first problem."""
        out: list[str] = []
        pos = 0
        for i in range(n):
            if pos + LENGTH > len(raw):
                raise RequestError(
                    400, f"{where}: binary data ends after {i} of {n} BYTES elements"
                )
            size = int.from_bytes(raw[pos : pos + LENGTH], "little")
            pos += LENGTH
            if size > len(raw) - pos:
                raise RequestError(
                    400,
                    f"{where}.data[{i}]: element length {size} runs past the tensor's "
                    f"{len(raw)} bytes",
                )
            token = raw[pos - LENGTH : pos + size]
            pos += size
            value = self.lookup.get(token)
            if value is None:
                shown = _show(token[LENGTH:].decode("utf-8", "replace"))
                raise RequestError(
                    422,
                    f"{where}.data[{i}]: unknown category {shown}; expected one of: {self.listed}",
                )
            out.append(value)
        if pos != len(raw):
            raise RequestError(
                400, f"{where}: {len(raw) - pos} bytes after the {n} BYTES elements of shape [{n}]"
            )
        return out


def encode_fp64(values: Any) -> bytes:
    """Little-endian FP64 bytes of a score vector."""
    return np.asarray(values, dtype="<f8").tobytes()
