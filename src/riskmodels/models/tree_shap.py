"""Exact TreeSHAP of a LightGBM binary model from per-leaf tables: the same values as
``pred_contrib`` (path-dependent TreeSHAP), several times faster per row.

Why: ``pred_contrib`` walks every path of every tree for every row, and it was 80% of
``decide_frame``. A leaf's share of a row's SHAP values depends on the row only through
which of the leaf's path features the row *follows* (meets all the path's conditions on):
at most 2^depth patterns. So each leaf's values are tabulated once per model, and a row
costs one decision per split and one table lookup per leaf (a numba loop over blocks of rows,
the same for one row and for a frame, so both paths add the same numbers in the same order).

For a leaf of value v whose path tests the distinct features U (d of them), let z_k be the
share of the training rows that follow the path's splits on k (the product of child over
parent counts, LightGBM's "zero fraction") and o_k = 1 if the row follows them. Knowing the
features S, the leaf's expected output is v * prod_{k in S} o_k * prod_{k in U-S} z_k, so its
Shapley value for j in U is

    phi_j = v (o_j - z_j) * sum over S in U-{j} with every o_k = 1 of
            |S|! (d-|S|-1)! / d! * prod_{k in U-S-{j}} z_k,

grouped below by the size of S through the elementary symmetric sums of the z's that
follow. Each tree's expected value (``Tree::ExpectedValue``) goes to the bias.

Trees with categorical splits, several models per iteration or paths testing more than
``MAX_PATH_FEATURES`` features are not tabulated: ``tables_for`` returns None and callers
keep ``pred_contrib``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import lightgbm as lgb
import numpy as np

MAX_PATH_FEATURES = 12  # 2^12 patterns x 12 values per leaf at most
ZERO_THRESHOLD = float(np.float32(1e-35))  # LightGBM's kZeroThreshold: |x| at most this is zero
# LightGBM writes an infinite threshold as +-1e300 ("NaN one way, every number the other") and
# sends every larger value the same way as 1e300: reading values as clamped to it does both.
HUGE = 1e300
BLOCK_ROWS = 256  # rows whose split decisions are held at once (371 splits x 256 rows here: 95 KB)
_MISSING = {"None": 0, "Zero": 1, "NaN": 2}


@dataclass(frozen=True)
class ShapTables:
    """A model's splits and per-leaf SHAP tables, flattened into arrays for the loop."""

    n_features: int
    bias: float  # the trees' expected values, summed in tree order
    split_feature: np.ndarray  # per split (every tree's, in order)
    split_threshold: np.ndarray
    split_missing: np.ndarray  # 0 None (NaN read as 0), 1 Zero (0 and NaN go the default way), 2 NaN
    split_default_left: np.ndarray
    edge_start: np.ndarray  # per leaf, into the edge arrays (one more entry than leaves)
    edge_split: np.ndarray  # per edge of a leaf's path: the split it crosses
    edge_left: np.ndarray  # and whether the path goes left there
    edge_slot: np.ndarray  # the position of the split's feature among the leaf's path features
    slot_start: np.ndarray  # per leaf, into slot_feature (one more entry than leaves)
    slot_feature: np.ndarray
    table_start: np.ndarray  # per leaf, into table: 2^d rows of d values
    table: np.ndarray

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """``pred_contrib`` of the rows of a float matrix: one column per feature, then the bias."""
        rows = np.ascontiguousarray(matrix, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise ValueError(f"rows must have shape (n, {self.n_features}); got {rows.shape}")
        out = np.zeros((rows.shape[0], self.n_features + 1))
        _kernel()(rows, self.split_feature, self.split_threshold, self.split_missing, self.split_default_left,
                  self.edge_start, self.edge_split, self.edge_left, self.edge_slot, self.slot_start,
                  self.slot_feature, self.table_start, self.table, ZERO_THRESHOLD, HUGE, out)
        out[:, -1] = self.bias
        return out


def _leaf_table(value: float, zero: np.ndarray) -> np.ndarray:
    """(2^d, d) Shapley values of one leaf, row p for the pattern whose bit k says o_k = 1."""
    d = len(zero)
    follows = ((np.arange(2 ** d)[:, None] >> np.arange(d)) & 1).astype(bool)
    # weight[a, m]: the Shapley weight of a coalition of a - m of the a followed features
    weight = np.zeros((d, d))
    for a in range(d):
        for m in range(a + 1):
            s = a - m
            weight[a, m] = math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d)
    table = np.empty((2 ** d, d))
    for j in range(d):
        sums = np.zeros((2 ** d, d))  # elementary symmetric sums of the followed z's, by degree
        sums[:, 0] = 1.0
        unfollowed = np.ones(2 ** d)
        for k in range(d):
            if k == j:
                continue
            z = np.where(follows[:, k], zero[k], 0.0)
            sums[:, 1:] = sums[:, 1:] + z[:, None] * sums[:, :-1]
            unfollowed = unfollowed * np.where(follows[:, k], 1.0, zero[k])
        followed = follows.sum(axis=1) - follows[:, j]
        weighted = (weight[followed] * sums).sum(axis=1)
        table[:, j] = value * (follows[:, j] - zero[j]) * unfollowed * weighted
    return table


class _Builder:
    """Walks ``Booster.dump_model()`` trees into the flat arrays of ``ShapTables``."""

    def __init__(self) -> None:
        self.splits: list[tuple[int, float, int, bool]] = []
        self.edges: list[list[tuple[int, bool, int]]] = []  # per leaf
        self.slots: list[list[int]] = []
        self.tables: list[np.ndarray] = []
        self.bias = 0.0

    def add_tree(self, root: Mapping[str, Any]) -> bool:
        if "leaf_value" in root:  # a single leaf: a constant, all bias
            self.bias += float(root["leaf_value"])
            return True
        total = float(root["internal_count"])
        expected = 0.0
        stack: list[tuple[Mapping[str, Any], list[tuple[int, bool, int, float]]]] = [(root, [])]
        while stack:
            node, path = stack.pop()
            if "leaf_value" in node:
                expected += float(node["leaf_count"]) / total * float(node["leaf_value"])
                if not self._add_leaf(float(node["leaf_value"]), path):
                    return False
                continue
            if node["decision_type"] != "<=":
                return False
            split = len(self.splits)
            self.splits.append((int(node["split_feature"]), float(node["threshold"]),
                                _MISSING[node["missing_type"]], bool(node["default_left"])))
            count = float(node["internal_count"])
            for child, left in ((node["right_child"], False), (node["left_child"], True)):
                share = float(child.get("internal_count", child.get("leaf_count", 0))) / count
                stack.append((child, [*path, (split, left, int(node["split_feature"]), share)]))
        self.bias += expected
        return True

    def _add_leaf(self, value: float, path: list[tuple[int, bool, int, float]]) -> bool:
        features = list(dict.fromkeys(feature for _, _, feature, _ in path))
        if len(features) > MAX_PATH_FEATURES:
            return False
        zero = np.ones(len(features))
        for _, _, feature, share in path:
            zero[features.index(feature)] *= share
        self.edges.append([(split, left, features.index(feature)) for split, left, feature, _ in path])
        self.slots.append(features)
        self.tables.append(_leaf_table(value, zero).ravel())
        return True

    def build(self, n_features: int) -> ShapTables:
        def starts(parts: list[Any]) -> np.ndarray:
            return np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)

        edges = [edge for leaf in self.edges for edge in leaf]
        split_feature, threshold, missing, default_left = zip(*self.splits, strict=True) if self.splits else ((),) * 4
        return ShapTables(
            n_features=n_features, bias=self.bias,
            split_feature=np.array(split_feature, dtype=np.int64), split_threshold=np.array(threshold, dtype=float),
            split_missing=np.array(missing, dtype=np.int64), split_default_left=np.array(default_left, dtype=bool),
            edge_start=starts(self.edges), edge_split=np.array([e[0] for e in edges], dtype=np.int64),
            edge_left=np.array([e[1] for e in edges], dtype=bool),
            edge_slot=np.array([e[2] for e in edges], dtype=np.int64),
            slot_start=starts(self.slots), slot_feature=np.array([f for s in self.slots for f in s], dtype=np.int64),
            table_start=starts(self.tables),
            table=np.concatenate(self.tables) if self.tables else np.zeros(0))


def tables_for(booster: lgb.Booster) -> ShapTables | None:
    """The SHAP tables of the trees ``Booster.predict`` uses (its best iteration if it has
    one), or None if the model has splits the tables don't cover."""
    dump = booster.dump_model()
    if dump.get("num_tree_per_iteration", 1) != 1:
        return None
    builder = _Builder()
    for tree in dump["tree_info"]:
        if not builder.add_tree(tree["tree_structure"]):
            return None
    return builder.build(booster.num_feature())


def _accumulate(rows: np.ndarray, split_feature: np.ndarray, split_threshold: np.ndarray,
                split_missing: np.ndarray, split_default_left: np.ndarray, edge_start: np.ndarray,
                edge_split: np.ndarray, edge_left: np.ndarray, edge_slot: np.ndarray, slot_start: np.ndarray,
                slot_feature: np.ndarray, table_start: np.ndarray, table: np.ndarray, zero_threshold: float,
                huge: float, out: np.ndarray) -> None:
    """Adds each leaf's tabulated values to ``out``, leaves in tree order (compiled by numba;
    plain Python gives the same numbers, slowly). Rows go in blocks, the innermost loops over a
    block's rows (2.5x faster than row by row); every cell still gets its leaves' values added
    in the same order, so a row's numbers do not depend on the rows beside it."""
    n_rows, n_splits = rows.shape[0], len(split_feature)
    block = max(min(BLOCK_ROWS, n_rows), 1)  # at least 1: a range's step (no rows: no blocks)
    goes_left = np.empty((n_splits, block), dtype=np.bool_)
    pattern = np.empty(block, dtype=np.int64)
    for start in range(0, n_rows, block):
        size = min(block, n_rows - start)
        for s in range(n_splits):  # LightGBM's NumericalDecision
            feature, missing = split_feature[s], split_missing[s]
            for r in range(size):
                value = rows[start + r, feature]
                if -zero_threshold <= value <= zero_threshold:
                    value = 0.0  # LightGBM reads a dense row's near-zeros as 0
                elif value > huge:
                    value = huge
                elif value < -huge:
                    value = -huge
                if np.isnan(value) and missing != 2:
                    value = 0.0
                if (missing == 1 and value == 0.0) or (missing == 2 and np.isnan(value)):
                    goes_left[s, r] = split_default_left[s]
                else:
                    goes_left[s, r] = value <= split_threshold[s]
        for leaf in range(len(slot_start) - 1):
            first, n_slots = slot_start[leaf], slot_start[leaf + 1] - slot_start[leaf]
            for r in range(size):
                pattern[r] = (1 << n_slots) - 1
            for e in range(edge_start[leaf], edge_start[leaf + 1]):
                split, left, unset = edge_split[e], edge_left[e], ~(1 << edge_slot[e])
                for r in range(size):
                    if goes_left[split, r] != left:
                        pattern[r] &= unset
            for k in range(n_slots):
                feature = slot_feature[first + k]
                for r in range(size):
                    out[start + r, feature] += table[table_start[leaf] + pattern[r] * n_slots + k]


@functools.cache
def _kernel() -> Callable[..., None]:
    """``_accumulate`` compiled on first use (numba is imported here, not at import time)."""
    import numba

    return cast(Callable[..., None], numba.njit(nogil=True, cache=False)(_accumulate))
