"""Base and head predict latency, measured by the report itself.

Timings are not pipeline outputs: figures recorded by two CI runs compare two machines'
loads, not two models. Here both sides' ONNX models (what the server runs) are timed in this
one process, in alternating turns, on the same rows (head's test split), so noise hits both
sides alike. ONNX rather than the skops pipeline also keeps this cheap: loading one skops
GradientBoosting file took ~2.5 s here, an ONNX session ~50 ms.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from model.core.latency import interleaved_ms

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pandas as pd

    from model.core.schema import Contract
    from model.review.sides import Reader

ONNX = "models/model.onnx"
OUTPUT = "probabilities"  # skl2onnx's [N, 2] class-probability tensor (zipmap off)
SINGLE_ROW_REPEATS = 1000  # one ONNX call on one row takes ~0.03 ms here
BATCH_REPEATS = 20  # one call on the whole 890-row split takes ~8 ms here
KEYS = ("predict_single_row_ms", "predict_batch_ms")


class Scorer(Protocol):
    """A model that can be bound to rows, giving a zero-argument call to time."""

    def bind(self, rows: pd.DataFrame) -> Callable[[], Any]:
        """A call scoring `rows`; KeyError/ValueError when the model cannot score them."""
        ...


class OnnxScorer:
    """One ONNX Runtime session set up as the server sets it up (one thread)."""

    def __init__(self, model_bytes: bytes, contract: Contract | None = None) -> None:
        import onnxruntime as ort

        self.contract = contract
        ort.disable_telemetry_events()  # never phone home from a report
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            model_bytes, options, providers=["CPUExecutionProvider"]
        )

    def bind(self, rows: pd.DataFrame) -> Callable[[], Any]:
        """session.run on inputs built once, so only the model is timed, not pandas."""
        from model.core.export import onnx_feed

        feed = onnx_feed(rows) if self.contract is None else onnx_feed(rows, self.contract)
        mine = {}
        for spec in self.session.get_inputs():
            if spec.name not in feed:  # a base model may expect a feature head dropped
                raise KeyError(f"{spec.name} is not a feature of head's rows")
            if (spec.type == "tensor(string)") != (feed[spec.name].dtype == object):
                raise ValueError(f"{spec.name}: this model takes a {spec.type}")
            mine[spec.name] = feed[spec.name]
        return partial(self.session.run, [OUTPUT], mine)


def load_model(reader: Reader, contract: Contract | None = None) -> OnnxScorer | None:
    """The revision's ONNX model (fed as `contract` says), or None if it has none."""
    data = reader.raw(ONNX)
    return OnnxScorer(data, contract) if data is not None else None


def _bound(model: Scorer | None, rows: pd.DataFrame) -> Callable[[], Any] | None:
    if model is None:
        return None
    try:
        return model.bind(rows)
    except (KeyError, ValueError):
        return None


def measure(
    models: Mapping[str, Scorer | None],
    rows: pd.DataFrame,
    single_repeats: int = SINGLE_ROW_REPEATS,
    batch_repeats: int = BATCH_REPEATS,
) -> dict[str, dict[str, float] | None]:
    """Per role, median single-row and whole-`rows` predict ms; None if it cannot score them."""
    bound = {r: (_bound(m, rows.iloc[[0]]), _bound(m, rows)) for r, m in models.items()}
    ready = {r: calls for r, calls in bound.items() if None not in calls}
    one = interleaved_ms({r: calls[0] for r, calls in ready.items()}, single_repeats)
    many = interleaved_ms({r: calls[1] for r, calls in ready.items()}, batch_repeats)
    return {r: dict(zip(KEYS, (one[r], many[r]), strict=True)) if r in ready else None
            for r in models}  # fmt: skip


def method(rows: int) -> dict[str, Any]:
    """How the figures were taken, for the report to state beside them."""
    return {"rows": rows, "single_row_repeats": SINGLE_ROW_REPEATS, "batch_repeats": BATCH_REPEATS}
