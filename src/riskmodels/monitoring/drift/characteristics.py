"""Characteristic analysis: where the score moved, in the scorecard's own points.

For each characteristic, the share of rows in each of its bins in the development (expected)
and current (actual) samples, the bin's points, and the mean points ``sum(share * points)`` in
both. A characteristic's points shift is actual minus expected mean points; as the score is the
sum of the characteristics' points, the shifts add up to the shift of the mean unclipped score.
Bins and points are the compiled spec's, and rows fall in them by ``bins.bin_labels``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.monitoring.drift import bins as drift_bins


@dataclass(frozen=True)
class CharacteristicAnalysis:
    bins: pd.DataFrame  # characteristic, bin, points, expected_share, actual_share, share_change, points_shift
    summary: pd.DataFrame  # characteristic, expected_points, actual_points, points_shift (largest |shift| first)
    expected_score: float  # sum of the expected mean points: the development mean unclipped score
    actual_score: float

    @property
    def total_shift(self) -> float:
        return self.actual_score - self.expected_score


def _bin_points(feature: Mapping[str, Any]) -> dict[str, float]:
    points = {str(b["label"]): float(b["points"]) for b in [*feature["bins"], *feature["special_bins"]]}
    return {**points, drift_bins.MISSING_LABEL: float(feature["missing_bin"]["points"])}


def _shares(labels: np.ndarray, order: Sequence[str]) -> np.ndarray:
    codes = pd.Categorical(labels, categories=list(order)).codes
    if (codes < 0).any():
        raise ValueError(f"bin labels must be the scorecard's; got {sorted(set(labels[codes < 0]))[:5]}")
    return np.bincount(codes, minlength=len(order)) / max(len(labels), 1)


def characteristic_analysis(features: Sequence[Mapping[str, Any]], expected: pd.DataFrame,
                            actual: pd.DataFrame) -> CharacteristicAnalysis:
    """The analysis of every characteristic of ``features`` (the compiled spec's), on the built
    characteristics of the development (``expected``) and current (``actual``) rows."""
    if expected.empty or actual.empty:
        raise ValueError(f"both samples must hold rows; got {len(expected)} and {len(actual)}")
    tables = []
    for feature in features:
        name, order = str(feature["name"]), drift_bins.bin_order(feature)
        points = _bin_points(feature)
        e = _shares(drift_bins.bin_labels(feature, expected[name]), order)
        a = _shares(drift_bins.bin_labels(feature, actual[name]), order)
        p = np.array([points[label] for label in order])
        tables.append(pd.DataFrame({"characteristic": name, "bin": order, "points": p, "expected_share": e,
                                    "actual_share": a, "share_change": a - e, "points_shift": (a - e) * p}))
    table = pd.concat(tables, ignore_index=True)
    weighted = table.assign(expected_points=table["expected_share"] * table["points"],
                            actual_points=table["actual_share"] * table["points"])
    summary = (weighted.groupby("characteristic", sort=False)[["expected_points", "actual_points", "points_shift"]]
               .sum().reset_index())
    summary = summary.reindex(summary["points_shift"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    return CharacteristicAnalysis(table, summary, float(summary["expected_points"].sum()),
                                  float(summary["actual_points"].sum()))
