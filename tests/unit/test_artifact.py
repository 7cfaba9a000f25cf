import io
import zipfile
from pathlib import Path

import pytest

from model.core.artifact import canonical_skops, sha256_file

pytestmark = pytest.mark.unit


def skops_like(ids: tuple[int, int], array: bytes = b"array-b") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{ids[1]}.npy", array)
        zf.writestr("schema.json", f'{{"__id__": {ids[0]}, "file": "{ids[1]}.npy"}}')
    return buf.getvalue()


def test_canonical_skops_removes_process_ids() -> None:
    a = canonical_skops(skops_like((140001, 140002)))
    b = canonical_skops(skops_like((990001, 990002)))
    assert a == b
    names = zipfile.ZipFile(io.BytesIO(a)).namelist()
    assert names == ["2.npy", "schema.json"]
    assert zipfile.ZipFile(io.BytesIO(a)).read("schema.json") == b'{"__id__": 1, "file": "2.npy"}'


def test_canonical_skops_keeps_different_content_apart() -> None:
    a = canonical_skops(skops_like((1, 2), b"weights-1"))
    b = canonical_skops(skops_like((1, 2), b"weights-2"))
    assert a != b


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
