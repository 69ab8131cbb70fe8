"""Discrimination and stability: AUC, Gini, KS, DeLong's AUC test, PSI and CSI.

Conventions: ``y`` is 1 for the bad event; ``pd`` is the probability of it (higher = riskier).
PSI and CSI use bins fixed on the baseline (the credit convention), never bins re-fitted
on the pooled data, so a shift cannot hide inside bins that moved with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

EPS = 1e-6  # share given to an empty bin, so PSI stays finite


def _check(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if y.shape != p.shape:
        raise ValueError(f"lengths must match; got {len(y)} and {len(p)}")
    values = np.unique(y)
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(f"y must be binary 0/1; got values {values[:5].tolist()}")
    if len(values) < 2:
        raise ValueError("y must contain both goods and bads")
    return y, p


def auc(y: np.ndarray, pd_: np.ndarray) -> float:
    """Area under the ROC curve, by the rank-sum (ties count half)."""
    y, p = _check(y, pd_)
    ranks = stats.rankdata(p)
    n_bad = y.sum()
    n_good = len(y) - n_bad
    return float((ranks[y == 1].sum() - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def gini(y: np.ndarray, pd_: np.ndarray) -> float:
    return 2.0 * auc(y, pd_) - 1.0


@dataclass(frozen=True)
class KS:
    statistic: float
    threshold: float


def ks(y: np.ndarray, pd_: np.ndarray) -> KS:
    """Largest gap between the cumulative distributions of bads and goods over the PD."""
    y, p = _check(y, pd_)
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    cum_bad = np.cumsum(y_sorted) / y_sorted.sum()
    cum_good = np.cumsum(1 - y_sorted) / (1 - y_sorted).sum()
    # Only evaluate where the PD changes, so tied rows are never split.
    last_of_value = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    gap = np.abs(cum_bad - cum_good)[last_of_value]
    best = int(np.argmax(gap))
    return KS(float(gap[best]), float(p_sorted[last_of_value][best]))


def auc_standard_error(y: np.ndarray, pd_: np.ndarray) -> float:
    """DeLong's standard error of the AUC."""
    y, p = _check(y, pd_)
    bad, good = p[y == 1], p[y == 0]
    # Structural components: each bad's share of goods ranked below it, and vice versa.
    all_ranks = stats.rankdata(np.r_[bad, good])
    v_bad = (all_ranks[: len(bad)] - stats.rankdata(bad)) / len(good)
    v_good = 1.0 - (all_ranks[len(bad):] - stats.rankdata(good)) / len(bad)
    return float(np.sqrt(v_bad.var(ddof=1) / len(bad) + v_good.var(ddof=1) / len(good)))


@dataclass(frozen=True)
class AucDrop:
    auc_before: float
    auc_after: float
    z: float
    p_value: float  # one-sided: small when the AUC fell significantly


def auc_drop_test(y_dev: np.ndarray, pd_dev: np.ndarray, y_new: np.ndarray, pd_new: np.ndarray) -> AucDrop:
    """Did the AUC fall between two independent samples (development vs monitoring)?"""
    a, b = auc(y_dev, pd_dev), auc(y_new, pd_new)
    se = np.hypot(auc_standard_error(y_dev, pd_dev), auc_standard_error(y_new, pd_new))
    z = (a - b) / se if se > 0 else 0.0
    return AucDrop(a, b, float(z), float(stats.norm.sf(z)))


def baseline_edges(baseline: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Inner bin edges at the baseline's quantiles (duplicates dropped)."""
    values = np.asarray(baseline, dtype=float)
    values = values[~np.isnan(values)]
    return np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1]))


def psi_table(expected_bins: np.ndarray, actual_bins: np.ndarray) -> pd.DataFrame:
    """PSI per bin from bin labels already assigned (numeric bins or a scorecard's own bins)."""
    expected = pd.Series(expected_bins).astype(str).value_counts(normalize=True)
    actual = pd.Series(actual_bins).astype(str).value_counts(normalize=True)
    table = pd.concat({"expected": expected, "actual": actual}, axis=1).fillna(0.0)
    e, a = table["expected"].clip(lower=EPS), table["actual"].clip(lower=EPS)
    table["psi"] = (a - e) * np.log(a / e)
    return table.sort_index()


def psi(baseline: np.ndarray, current: np.ndarray, edges: np.ndarray | None = None) -> float:
    """Population stability of a numeric score on bins fixed from the baseline."""
    edges = baseline_edges(baseline) if edges is None else np.asarray(edges, dtype=float)
    return float(psi_table(np.digitize(baseline, edges), np.digitize(current, edges))["psi"].sum())


def csi(baseline_bins: np.ndarray, current_bins: np.ndarray) -> float:
    """Characteristic stability on the scorecard's own bins (labels of the bin each row is in)."""
    return float(psi_table(baseline_bins, current_bins)["psi"].sum())


def stability_band(value: float, amber: float = 0.10, red: float = 0.25) -> str:
    """The industry's reading of a PSI/CSI: green < 0.1 <= amber < 0.25 <= red."""
    return "green" if value < amber else ("amber" if value < red else "red")
