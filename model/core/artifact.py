"""Save and load the model safely and reproducibly (skops, never pickle), with digests."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from model.names import BUNDLE_FILES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sklearn.pipeline import Pipeline

# skops refuses to load types it was not told to trust; these are the only non-default
# ones a fitted GradientBoosting pipeline holds. Anything else in a file is an error.
TRUSTED_TYPES = ["numpy.dtype", "sklearn.tree._tree.Tree"]
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_manifest(files: Mapping[str, bytes]) -> bytes:
    """The canonical manifest: `<sha256>  <name>` per file, sorted by name (sha256sum format)."""
    lines = (f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files))
    return "".join(lines).encode()


def bundle_sha256(files: Mapping[str, bytes]) -> str:
    """The model digest: sha256 of the manifest (`sha256sum model.json model.onnx | sha256sum`)."""
    return hashlib.sha256(bundle_manifest(files)).hexdigest()


def read_bundle(model_dir: Path) -> dict[str, bytes]:
    """The bytes of BUNDLE_FILES in `model_dir` (OSError when one is missing)."""
    return {name: (model_dir / name).read_bytes() for name in BUNDLE_FILES}


# skops names nodes and array files after id() of the objects, which differs per process.
_ID_TOKEN = re.compile(r'("__id__": )(\d+)|"(\d+)\.npy"')


def _renumber(schema: str) -> tuple[str, dict[str, str]]:
    """Replace process-specific object ids by their order of first appearance."""
    mapping: dict[str, str] = {}

    def sub(match: re.Match[str]) -> str:
        old = match.group(2) or match.group(3)
        new = mapping.setdefault(old, str(len(mapping) + 1))
        return f"{match.group(1)}{new}" if match.group(1) else f'"{new}.npy"'

    return _ID_TOKEN.sub(sub, schema), mapping


def canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops zip so that equal models give equal bytes: stable ids, order, times."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema, mapping = _renumber(src.read("schema.json").decode())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        entries = {"schema.json": schema.encode()}
        for name in src.namelist():
            if name != "schema.json":
                stem, dot, ext = name.partition(".")
                entries[f"{mapping.get(stem, stem)}{dot}{ext}"] = src.read(name)
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, entries[name])
    return out.getvalue()


def save_skops(pipeline: Pipeline, path: Path) -> str:
    """Write the pipeline as a deterministic skops file; return its sha256."""
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical_skops(sio.dumps(pipeline)))
    return sha256_file(path)


def load_skops(path: Path) -> Pipeline:
    """Load a skops file, trusting only TRUSTED_TYPES."""
    import skops.io as sio

    return sio.load(path, trusted=TRUSTED_TYPES)
