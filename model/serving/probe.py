"""Probe rows: what a compiled scorer must answer exactly as ONNX Runtime before it is used.

Between them the rows reach every leaf of every tree, each number on the edge of the
thresholds its path tests (x == t goes left, the float32 above t goes right), and one row
is all nulls (the Imputer's fills). A reading mistake in compiled.py (a threshold, a leaf
weight, a fill, a one-hot position) changes some row's answer.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from model.serving.tree_tables import NotCompiled, pause

if TYPE_CHECKING:
    from model.serving.compiled import OneRowScorer
    from model.serving.tree_tables import Trees

Row = dict[str, list[Any]]
Path = list[tuple[int, float, bool]]  # (feature, threshold, goes left), root first


def probe(scorer: OneRowScorer) -> tuple[list[Row], list[float]]:
    """The probe rows and the scorer's answers; raises NotCompiled if a row built for a leaf
    reaches another (the scorer and its own tables disagree)."""
    trees = scorer.trees
    count, leaves = trees.features.shape[0], trees.leaves.shape[1]
    canonical = _canonical(trees)
    covered = np.zeros((count, leaves), dtype=bool)
    features, thresholds = trees.features.tolist(), trees.thresholds.tolist()
    padding, ancestors = trees.padding.tolist(), _ancestors(trees.depth).tolist()
    rows = [_row_of(scorer, {}, {}, {}, 0, null=True)]
    answers = [scorer(rows[0])]
    for tree, leaf in zip(*np.nonzero(canonical == np.arange(leaves)), strict=True):
        if covered[tree, leaf]:
            continue
        if len(rows) % 8 == 7:
            pause()
        chain = [*ancestors[leaf], leaf + leaves - 1]
        path = [
            (features[tree][node], thresholds[tree][node], child == 2 * node + 1)
            for node, child in itertools.pairwise(chain)
            if not padding[tree][node]
        ]
        row = _row_for(scorer, path, len(rows))
        if row is None:  # no row can take this path: the leaf is dead
            continue
        reached = scorer.leaves_reached(row)
        covered[np.arange(count), canonical[np.arange(count), reached]] = True
        if not covered[tree, leaf]:
            raise NotCompiled(f"a row built for leaf {leaf} of tree {tree} reached another")
        rows.append(row)
        answers.append(scorer.probability(reached))
    return rows, answers


def _ancestors(depth: int) -> np.ndarray:
    """[leaves, depth]: each padded leaf's inner nodes, root first."""
    inner = 2**depth - 1
    out = np.empty((inner + 1, depth), dtype=np.intp)
    for leaf in range(inner + 1):
        node, chain = leaf + inner, []
        while node:
            node = (node - 1) // 2
            chain.append(node)
        out[leaf] = chain[::-1]
    return out


def _canonical(trees: Trees) -> np.ndarray:
    """[trees, leaves]: the leaf that stands for each padded leaf. The copies a shallow leaf
    was padded into all stand for the leftmost copy."""
    inner = trees.features.shape[1]
    ancestors = _ancestors(trees.depth)
    padded = trees.padding[:, ancestors]  # [trees, leaves, depth]
    top = ancestors[np.arange(inner + 1), padded.argmax(axis=2)]  # topmost padding node
    for _ in range(trees.depth):
        top = np.where(top < inner, 2 * top + 1, top)  # ... down to its leftmost leaf
    return np.where(padded.any(axis=2), top - inner, np.arange(inner + 1))


def _row_for(scorer: OneRowScorer, path: Path, k: int) -> Row | None:
    """A row that takes `path`, or None."""
    bounds: dict[str, list[float]] = {}
    equal: dict[str, str] = {}
    unequal: dict[str, set[str]] = {}
    for feature, threshold, left in path:
        kind, name, *rest = scorer.slots[feature]
        if kind in ("num", "fill"):
            low, high = bounds.setdefault(name, [-math.inf, math.inf])
            bounds[name] = [low, min(high, threshold)] if left else [max(low, threshold), high]
        elif left and 0.0 <= threshold < 1.0:  # the one-hot slot must be 0
            unequal.setdefault(name, set()).add(rest[0])
        elif not left and 0.0 <= threshold < 1.0:  # ... must be 1
            if equal.setdefault(name, rest[0]) != rest[0]:
                return None
        elif (threshold < 0.0) == left:  # x <= t < 0, or x > t >= 1: neither 0 nor 1 does
            return None
    values: dict[str, float] = {}
    for name, (low, high) in bounds.items():
        value = high if high < math.inf else float(np.nextafter(np.float32(low), _INF))
        if not low < value <= high:
            return None
        values[name] = value if value > -math.inf else 0.0
    if any(label in unequal.get(name, ()) for name, label in equal.items()):
        return None
    return _row_of(scorer, values, equal, unequal, k)


def _row_of(
    scorer: OneRowScorer,
    values: dict[str, float],
    equal: dict[str, str],
    unequal: dict[str, set[str]],
    k: int,
    null: bool = False,
) -> Row:
    row: Row = {
        name: [math.nan if null else values.get(name, 0.0)] for _, name, _ in scorer.layout.numbers
    }
    for name, positions in scorer.layout.hot:
        if name in equal:
            row[name] = [equal[name]]
            continue
        free = (
            list(positions)
            if name not in unequal
            else [label for label in positions if label not in unequal[name]]
        )
        # no listed label left: an unlisted one, which one-hot encodes as all zeros
        row[name] = [free[k % len(free)] if free else ""]
    return row


_INF = np.float32(np.inf)
