"""A tree ensemble as padded perfect trees in flat arrays: what the compiled scorer reads.

`tables()` turns a TreeEnsembleClassifier node's attributes into four arrays (feature ids,
thresholds, leaf weights, padding). A shallow leaf is padded down to full depth, so tree t's
node i always has children 2i+1 (x <= threshold) and 2i+2, and `leaf_table()` maps the
bits of a tree's comparisons straight to its leaf. See model/serving/compiled.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

import numpy as np

from model.serving.onnx_proto import Node

MAX_DEPTH = 4  # a padded tree has 2**depth - 1 comparisons and a 2**(2**depth - 1) leaf table


def pause() -> None:
    """Let a waiting thread have the GIL. Repository mode compiles on a background thread;
    without these pauses the event loop waits up to the 5 ms switch interval at a time while
    a compile runs, which a cold load on the event loop feels most."""
    time.sleep(0)


class NotCompiled(ValueError):
    """The graph uses something this scorer does not implement."""


@dataclass
class Trees:
    """An ensemble as padded perfect trees: node i's children are 2i+1 (x <= t) and 2i+2."""

    depth: int
    features: np.ndarray  # [trees, 2**depth - 1] index into the row
    thresholds: np.ndarray  # [trees, 2**depth - 1] float32
    leaves: np.ndarray  # [trees, 2**depth] float32
    padding: np.ndarray  # [trees, 2**depth - 1] True where a node only pads a shallow leaf
    base: float


def tables(node: Node, width: int) -> Trees:
    """The ensemble of a binary TreeEnsembleClassifier over a `width`-wide row; NotCompiled
    for anything this scorer does not implement."""
    a = node.attrs
    if a.get("post_transform", b"NONE") != b"LOGISTIC" or len(a.get("classlabels_int64s", [])) != 2:
        raise NotCompiled("tree ensemble that is not a binary classifier with a logistic output")
    if set(a.get("class_ids", [])) != {0} or any(a.get("nodes_missing_value_tracks_true", [])):
        raise NotCompiled("tree ensemble with more than one score or missing-value routing")
    modes = a["nodes_modes"]
    if set(modes) - {b"BRANCH_LEQ", b"BRANCH_LT", b"LEAF"}:
        raise NotCompiled(f"tree ensemble with modes {sorted(set(modes))}")
    # zip and dict run in C: a Python loop here was most of a load's compile time.
    leaf_keys = list(zip(a["class_treeids"], a["class_nodeids"], strict=True))
    weights = dict(zip(leaf_keys, a["class_weights"], strict=True))
    if len(weights) != len(leaf_keys):  # several weights on one leaf: their sum
        weights = {}
        for key, w in zip(leaf_keys, a["class_weights"], strict=True):
            weights[key] = weights.get(key, 0.0) + w
    node_keys = zip(a["nodes_treeids"], a["nodes_nodeids"], strict=True)
    fields = zip(modes, a["nodes_featureids"], a["nodes_values"], a["nodes_truenodeids"],
                 a["nodes_falsenodeids"], strict=True)  # fmt: skip
    nodes: dict[tuple[int, int], tuple[bytes, int, float, int, int]] = dict(
        zip(node_keys, fields, strict=True)
    )
    tree_ids = sorted({tree for tree, _ in nodes})
    depth = max(_depth(nodes, tree) for tree in tree_ids)
    inner, count = 2**depth - 1, len(tree_ids)
    # Plain lists while placing nodes: numpy's per-element writes would triple a load's cost.
    features = [[0] * inner for _ in tree_ids]
    thresholds = [[0.0] * inner for _ in tree_ids]
    below = [[False] * inner for _ in tree_ids]  # BRANCH_LT: x < t is x <= (float32 below t)
    padding = [[False] * inner for _ in tree_ids]
    leaves = [[0.0] * (inner + 1) for _ in tree_ids]
    for row, tree in enumerate(tree_ids):
        if row % 16 == 15:
            pause()
        stack = [(0, 0)]
        while stack:
            node_id, slot = stack.pop()
            mode, feature, value, true, false = nodes[tree, node_id]
            if slot >= inner:
                leaves[row][slot - inner] = weights.get((tree, node_id), 0.0)
                continue
            if mode == b"LEAF":  # a shallow leaf: both padded children carry its weight
                padding[row][slot] = True
                true = false = node_id
            elif not 0 <= feature < width:
                raise NotCompiled(f"tree node reads feature {feature} of a {width}-wide row")
            else:
                features[row][slot], thresholds[row][slot] = feature, value
                below[row][slot] = mode == b"BRANCH_LT"
            stack += [(true, 2 * slot + 1), (false, 2 * slot + 2)]
    cuts = np.array(thresholds, dtype=np.float32).reshape(count, inner)
    # NaN fails x <= t as it fails x < t: missing values go the false way, as in ONNX Runtime.
    cuts = np.where(below, np.nextafter(cuts, np.float32(-np.inf)), cuts).astype(np.float32)
    base = list(a.get("base_values", [0.0]))
    base_value = float(base[0]) if base else 0.0
    return Trees(
        depth,
        np.array(features, dtype=np.intp).reshape(count, inner),
        cuts,
        np.array(leaves, dtype=np.float32).reshape(count, inner + 1),
        np.array(padding, dtype=bool).reshape(count, inner),
        base_value,
    )


def _depth(nodes: dict[tuple[int, int], tuple[bytes, int, float, int, int]], tree: int) -> int:
    """The tree's depth; NotCompiled past MAX_DEPTH (which also stops a cycle of node ids)."""
    deepest, stack = 0, [(0, 0)]
    while stack:
        node_id, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise NotCompiled(f"tree ensemble deeper than {MAX_DEPTH}")
        mode, _, _, true, false = nodes[tree, node_id]
        if mode == b"LEAF":
            deepest = max(deepest, depth)
        else:
            stack += [(true, depth + 1), (false, depth + 1)]
    return deepest


@cache
def leaf_table(depth: int) -> np.ndarray:
    """For every pattern of a padded tree's 2**depth - 1 comparisons (bit i: node i goes
    left), the leaf it reaches: 128 entries at depth 3, 32,768 at 4, shared by all models."""
    inner = 2**depth - 1
    patterns = np.arange(2**inner)
    node = np.zeros(2**inner, dtype=np.int64)
    for _ in range(depth):
        goes_left = (patterns >> node) & 1
        node = 2 * node + 2 - goes_left
    return (node - inner).astype(np.intp)
