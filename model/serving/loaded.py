"""A model built from verified bytes: request schema, ONNX session, threshold and labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from model.core.schema import POSITIVE_CLASS
from model.names import META_FILE, ONNX_FILE
from model.serving.schema import RequestSchema

if TYPE_CHECKING:
    from model.serving.inference import OnnxModel


@dataclass(frozen=True)
class Loaded:
    """Everything a request needs from one model."""

    meta: dict[str, Any]
    schema: RequestSchema
    model: OnnxModel
    threshold: float
    labels: tuple[str, str]  # (negative, positive)


def build(
    files: dict[str, bytes], max_rows: int, threads: int, compile_later: bool = False
) -> Loaded:
    """Parse model.json and open model.onnx from `files` (raises when they are unusable).
    `compile_later`: leave OnnxModel.compile() to the caller (see model/serving/compiled.py)."""
    from model.serving.inference import OnnxModel

    meta = json.loads(files[META_FILE])
    if "contract" in meta:
        schema = _shared_schema(json.dumps(meta["contract"], sort_keys=True), max_rows)
    else:
        schema = RequestSchema.from_model_meta(meta, max_rows)  # raises, naming the key
    threshold = float(meta["threshold"])
    classes = [str(c) for c in meta["contract"].get("target_classes", ())]
    model = OnnxModel(files[ONNX_FILE], schema, threads, compile_later)
    negative = next((c for c in classes if c != POSITIVE_CLASS), "not-" + POSITIVE_CLASS)
    return Loaded(meta, schema, model, threshold, (negative, POSITIVE_CLASS))


@lru_cache(maxsize=256)
def _shared_schema(contract: str, max_rows: int) -> RequestSchema:
    """One request schema per distinct contract (it is read-only once built): models trained
    on one dataset share it, so its objects stay in the CPU caches while models take turns."""
    return RequestSchema.from_model_meta({"contract": json.loads(contract)}, max_rows)


def failure(err: Exception) -> str:
    """The one-line reason a pinned model could not be loaded."""
    return f"the pinned model cannot be loaded: {type(err).__name__}: {err}".replace("\n", " ")
