"""One-row scoring of skl2onnx tree-ensemble graphs without ONNX Runtime.

Why: a one-row ONNX Runtime run touches tens of KB of session-private memory (kernels,
plans, the arena). With 100 distinct models hot, that memory falls out of the CPU caches and
a run costs twice what it costs with one (benchmarks/serving_oip.py, `onnx_sessions`). Here
a model is a few flat arrays (feature ids, thresholds, leaf weights of its padded trees:
15 KB for 200 trees of depth 3), and a row costs a handful of numpy calls.

Only graphs made of the ops below compile; `compile_one_row` raises NotCompiled for anything
else, and the caller keeps ONNX Runtime. A compiled scorer is used only after it agrees with
ONNX Runtime on probe rows (`OnnxModel`), so a reading mistake here costs speed, not answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from model.serving.onnx_proto import Graph, Node, ProtoError, read_graph
from model.serving.tree_tables import NotCompiled, Trees, leaf_table, pause, tables

__all__ = ["NotCompiled", "OneRowScorer", "compile_one_row", "pause"]

ML = "ai.onnx.ml"


# A slot is one element of a one-row tensor: where its value comes from.
#   ("num", input)          the input's number, NaN if null
#   ("cat", input)          the input's string (only OneHotEncoder may read it)
#   ("fill", input, value)  the input's number, `value` where it is NaN (Imputer)
#   ("hot", input, label)   1.0 if the input equals `label`, else 0.0 (OneHotEncoder)
Slot = tuple[Any, ...]


@dataclass
class _Tensor:
    shape: tuple[int, ...]  # batch dimension first, always 1 here
    slots: list[Slot]


def _concat(node: Node, args: list[_Tensor]) -> _Tensor:
    rank = len(args[0].shape)
    axis = int(node.attrs.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 1 <= axis < rank or any(len(a.shape) != rank for a in args):
        raise NotCompiled(
            f"Concat on axis {node.attrs.get('axis')} of ranks {[a.shape for a in args]}"
        )
    # Row-major order makes concatenation flat when every dimension before `axis` is 1.
    if any(dim != 1 for a in args for dim in a.shape[:axis]):
        raise NotCompiled("Concat of tensors wider than one row before its axis")
    rest = {a.shape[axis + 1 :] for a in args}
    if len(rest) != 1:
        raise NotCompiled("Concat of tensors whose trailing dimensions differ")
    shape = (*args[0].shape[:axis], sum(a.shape[axis] for a in args), *rest.pop())
    return _Tensor(shape, [slot for a in args for slot in a.slots])


def _one_hot(node: Node, arg: _Tensor) -> _Tensor:
    if node.attrs.get("zeros", 1) != 1 or "cats_int64s" in node.attrs:
        raise NotCompiled("OneHotEncoder with zeros=0 or integer categories")
    if len(arg.slots) != 1 or arg.slots[0][0] != "cat":
        raise NotCompiled("OneHotEncoder of anything but one string input")
    labels = [label.decode() for label in node.attrs.get("cats_strings", [])]
    name = arg.slots[0][1]
    return _Tensor((*arg.shape, len(labels)), [("hot", name, label) for label in labels])


def _imputer(node: Node, arg: _Tensor) -> _Tensor:
    replaced = node.attrs.get("replaced_value_float", math.nan)
    fills = list(node.attrs.get("imputed_value_floats", []))
    if not math.isnan(replaced) or "imputed_value_int64s" in node.attrs:
        raise NotCompiled("Imputer that replaces something other than NaN")
    if any(slot[0] != "num" for slot in arg.slots) or len(fills) not in (1, len(arg.slots)):
        raise NotCompiled("Imputer over anything but raw numeric inputs")
    fills = fills * len(arg.slots) if len(fills) == 1 else fills
    return _Tensor(arg.shape, [("fill", s[1], f) for s, f in zip(arg.slots, fills, strict=True)])


def _reshape(node: Node, arg: _Tensor, graph: Graph) -> _Tensor:
    target = graph.initializers.get(node.inputs[1]) if len(node.inputs) == 2 else None
    if target is None or node.attrs.get("allowzero", 0):
        raise NotCompiled("Reshape to a shape that is not a constant")
    dims = [arg.shape[i] if d == 0 else int(d) for i, d in enumerate(target.tolist())]
    if dims.count(-1) == 1:
        known = math.prod(d for d in dims if d != -1)
        dims[dims.index(-1)] = len(arg.slots) // known if known else 0
    if math.prod(dims) != len(arg.slots) or not dims or dims[0] != 1:
        raise NotCompiled(f"Reshape of {arg.shape} to {target.tolist()}")
    return _Tensor(tuple(dims), arg.slots)


class RowLayout:
    """Where each input lands in the graph's float32 feature row (read-only once built)."""

    def __init__(self, slots: tuple[Slot, ...]) -> None:
        self.zeros = np.zeros(len(slots), dtype=np.float32)
        self.numbers = [(i, s[1], s[2] if s[0] == "fill" else math.nan)
                        for i, s in enumerate(slots) if s[0] in ("num", "fill")]  # fmt: skip
        hot: dict[str, dict[str, int]] = {}
        for i, slot in enumerate(slots):
            if slot[0] == "hot":
                hot.setdefault(slot[1], {})[slot[2]] = i
        self.hot = list(hot.items())

    def row(self, columns: dict[str, list[Any]]) -> np.ndarray:
        """The graph's float32 feature row: what its tree ensemble reads."""
        x = self.zeros.copy()
        for i, name, fill in self.numbers:
            value = columns[name][0]
            x[i] = fill if value is None or value != value else value
        for name, positions in self.hot:
            at = positions.get(columns[name][0])
            if at is not None:
                x[at] = 1.0
        return x


@lru_cache(maxsize=256)
def _shared_layout(slots: tuple[Slot, ...]) -> RowLayout:
    """One layout per distinct preprocessing: models trained on one dataset share it (as they
    share their request schema), so its objects stay in the CPU caches while models take turns."""
    return RowLayout(slots)


@lru_cache(maxsize=256)
def _first_leaves(count: int, leaves: int) -> np.ndarray:
    """The index of each tree's first leaf in the flat leaf array (shared, read-only)."""
    first = np.arange(count) * leaves
    first.flags.writeable = False
    return first


class OneRowScorer:
    """P(positive class) for one validated row, from the compiled graph."""

    def __init__(self, slots: list[Slot], trees: Trees) -> None:
        self.trees, self.slots = trees, slots
        self.layout = _shared_layout(tuple(slots))
        self.row = self.layout.row
        inner, count = trees.features.shape[1], trees.features.shape[0]
        # Each tree's comparisons padded to 8 or 16 so that np.packbits turns them into one
        # uint8 or uint16 pattern per tree; a padded node compares with NaN: always false.
        padded = 8 if inner <= 8 else 16
        # uint8 feature ids while the row has at most 256 slots: with 100 models taking
        # turns, each one's arrays are out of cache when its request comes, and these are read
        # whole (np.take reads them as they are; x[ids] would first convert them to intp).
        ids = np.uint8 if len(slots) <= 256 else np.intp
        features = np.zeros((count, padded), dtype=ids)
        thresholds = np.full((count, padded), np.nan, dtype=np.float32)
        features[:, :inner], thresholds[:, :inner] = trees.features, trees.thresholds
        self._features, self._thresholds = features.ravel(), thresholds.ravel()
        self._pattern = np.dtype(np.uint8 if padded == 8 else "<u2")
        self._leaves = trees.leaves.ravel()
        # Leaf of each tree for each pattern of its comparisons, as an index into _leaves.
        self._first_leaf = _first_leaves(count, inner + 1)
        self._leaf_of = leaf_table(trees.depth)
        self._base = np.float32(trees.base)

    def leaves_reached(self, columns: dict[str, list[Any]]) -> np.ndarray:
        """The padded leaf each tree reaches for this row."""
        left = self.row(columns).take(self._features) <= self._thresholds
        return self._leaf_of[np.packbits(left, bitorder="little").view(self._pattern)]

    def __call__(self, columns: dict[str, list[Any]]) -> float:
        return self.probability(self.leaves_reached(columns))

    def probability(self, reached: np.ndarray) -> float:
        """P(positive class) from the leaf each tree reached."""
        weights = self._leaves[self._first_leaf + reached]
        # As ONNX Runtime does it, to the bit: float32 sums tree by tree (cumsum, not numpy's
        # pairwise sum), then the base value, then its ComputeLogistic with the C library's
        # expf. numpy's float32 exp differed by an ulp on 1 row in 40, exp in double rounded
        # to float32 on 2 rows in 18,000; libm's own expf on none.
        score = np.cumsum(weights)[-1] + self._base
        v = _ONE / (_ONE + np.float32(_expf(-abs(float(score)))))
        return float(_ONE - v if score < 0 else v)


_ONE = np.float32(1.0)


def _libm_expf() -> Any:
    """The C library's expf, which ONNX Runtime's std::exp(float) calls; else exp in double
    rounded to float32 (an ulp off now and then: the probe then keeps ONNX Runtime)."""
    import ctypes

    try:  # glibc's soname; ctypes.util.find_library would run ldconfig at import
        expf = ctypes.CDLL("libm.so.6").expf
    except (OSError, AttributeError):
        return math.exp
    expf.restype, expf.argtypes = ctypes.c_float, [ctypes.c_float]
    return expf


_expf = _libm_expf()


def compile_one_row(onnx: bytes, kinds: list[tuple[str, bool]], output: str) -> OneRowScorer:
    """The one-row scorer of a serialized model whose inputs are `kinds` (name, is category)."""
    try:
        return _compile(read_graph(onnx), kinds, output)
    except NotCompiled:
        raise
    # A damaged or unusual graph (attribute lists of unequal length, a missing attribute, a
    # node id that is not there) is one this scorer does not implement.
    except (ProtoError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise NotCompiled(f"{type(exc).__name__}: {exc}") from exc


def _compile(graph: Graph, kinds: list[tuple[str, bool]], output: str) -> OneRowScorer:
    values: dict[str, _Tensor] = {
        name: _Tensor((1, 1), [("cat" if is_cat else "num", name)]) for name, is_cat in kinds
    }
    trees: Trees | None = None
    probabilities = ""
    for node in graph.nodes:
        try:
            args = [values[name] for name in node.inputs if name not in graph.initializers]
        except KeyError as missing:
            raise NotCompiled(f"{node.op_type} reads {missing}, which nothing computes") from None
        op = (node.domain if node.domain != "ai.onnx" else "", node.op_type)
        if op == ("", "Identity") and len(args) == 1:
            if node.inputs[0] == probabilities:
                probabilities = node.outputs[0]
            result = args[0]
        elif op == ("", "Concat"):
            result = _concat(node, args)
        elif op == ("", "Reshape") and len(args) == 1:
            result = _reshape(node, args[0], graph)
        elif op == (ML, "OneHotEncoder") and len(args) == 1:
            result = _one_hot(node, args[0])
        elif op == (ML, "Imputer") and len(args) == 1:
            result = _imputer(node, args[0])
        elif op == (ML, "TreeEnsembleClassifier") and len(args) == 1 and trees is None:
            if len(args[0].shape) != 2:
                raise NotCompiled(f"tree ensemble over a tensor of shape {args[0].shape}")
            if any(slot[0] == "cat" for slot in args[0].slots):
                raise NotCompiled("tree ensemble reading a string input as a number")
            trees, slots = tables(node, len(args[0].slots)), args[0].slots
            probabilities = node.outputs[1] if len(node.outputs) > 1 else ""
            result = _Tensor((1, 2), [])  # only an Identity may follow; nothing reads its slots
        else:
            raise NotCompiled(f"op {op[0] or 'ai.onnx'}.{op[1]} with {len(args)} inputs")
        for name in node.outputs:
            values[name] = result
    if trees is None or probabilities != output:
        raise NotCompiled(f"no tree ensemble whose probabilities reach the output {output!r}")
    return OneRowScorer(slots, trees)
