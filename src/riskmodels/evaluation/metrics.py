"""Discrimination and stability: AUC, Gini, KS, DeLong's AUC test, PSI and CSI.

Conventions: ``y`` is 1 for the bad event; ``pd`` is the probability of it (higher = riskier).
Ranking metrics accept any finite score where higher means riskier (pass ``-score`` for points).
PSI and CSI use bins fixed on the baseline (the credit convention), never bins re-fitted on the
pooled data: pooled bins move with the shift they are meant to measure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from numbers import Real

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from riskmodels.evaluation._checks import as_1d, is_real, labels, target_and_pd

EPS = 1e-4  # share given to a bin empty on one side, so the log ratio stays finite
MISSING = "missing"  # the bin of missing values, as in a scorecard


def _ranked(y: ArrayLike, pd_: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return target_and_pd(y, pd_, probability=False, both_classes=True)


def auc(y: ArrayLike, pd_: ArrayLike) -> float:
    """Area under the ROC curve: the chance a random bad has a higher PD than a random good
    (ties count half), computed from the rank sum of the bads (Mann-Whitney)."""
    y_arr, p = _ranked(y, pd_)
    n_bad = y_arr.sum()
    n_good = len(y_arr) - n_bad
    rank_sum = stats.rankdata(p)[y_arr == 1].sum()
    return float((rank_sum - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def gini(y: ArrayLike, pd_: ArrayLike) -> float:
    """Gini coefficient (accuracy ratio) = 2 * AUC - 1."""
    return 2.0 * auc(y, pd_) - 1.0


def cumulative_shares(y: ArrayLike, pd_: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At each distinct PD, riskiest first: (threshold, share of bads with pd >= threshold,
    share of goods with pd >= threshold). The ROC curve and the KS both read off these."""
    y_arr, p = _ranked(y, pd_)
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y_arr[order]
    cum_bad = np.cumsum(y_sorted) / y_sorted.sum()
    cum_good = np.cumsum(1.0 - y_sorted) / (1.0 - y_sorted).sum()
    # Only the last row of each tied PD: a cut-off cannot split rows with the same PD.
    last = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    return p_sorted[last], cum_bad[last], cum_good[last]


@dataclass(frozen=True)
class KSResult:
    statistic: float
    threshold: float  # the PD cut-off (rows with pd >= threshold vs the rest) where it occurs


def ks(y: ArrayLike, pd_: ArrayLike) -> KSResult:
    """Kolmogorov-Smirnov: largest gap between the cumulative distributions of bads and goods."""
    thresholds, cum_bad, cum_good = cumulative_shares(y, pd_)
    gap = np.abs(cum_bad - cum_good)
    best = int(np.argmax(gap))
    return KSResult(float(gap[best]), float(thresholds[best]))


@dataclass(frozen=True)
class AucConfidence:
    auc: float
    se: float  # DeLong standard error
    lower: float
    upper: float
    level: float


def _delong(y: ArrayLike, pd_: ArrayLike) -> tuple[float, float]:
    """(AUC, DeLong standard error), from the structural components of the Mann-Whitney statistic."""
    y_arr, p = _ranked(y, pd_)
    bad, good = p[y_arr == 1], p[y_arr == 0]
    if len(bad) < 2 or len(good) < 2:
        raise ValueError(f"DeLong's variance needs at least 2 bads and 2 goods; got {len(bad)} and {len(good)}")
    pooled = stats.rankdata(np.r_[bad, good])
    # Each bad's share of goods ranked below it (ties half), and each good's share of bads above it.
    v_bad = (pooled[: len(bad)] - stats.rankdata(bad)) / len(good)
    v_good = 1.0 - (pooled[len(bad):] - stats.rankdata(good)) / len(bad)
    se = math.sqrt(v_bad.var(ddof=1) / len(bad) + v_good.var(ddof=1) / len(good))
    return float(v_bad.mean()), se


def auc_confidence(y: ArrayLike, pd_: ArrayLike, level: float = 0.95) -> AucConfidence:
    """AUC with DeLong's standard error and a normal two-sided interval (clipped to [0, 1])."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    value, se = _delong(y, pd_)
    half = stats.norm.ppf(0.5 + level / 2) * se
    return AucConfidence(value, se, float(max(0.0, value - half)), float(min(1.0, value + half)), level)


@dataclass(frozen=True)
class AucDropTest:
    auc_dev: float
    auc_new: float
    z: float
    p_value: float  # one-sided: small when the AUC fell significantly


def auc_drop_test(y_dev: ArrayLike, pd_dev: ArrayLike, y_new: ArrayLike, pd_new: ArrayLike) -> AucDropTest:
    """Did the AUC fall from the development sample to an independent new sample (H1: AUC_new < AUC_dev)?

    The samples are independent, so the variance of the difference is the sum of the two DeLong
    variances (no covariance term, unlike the paired DeLong test on the same rows)."""
    a_dev, se_dev = _delong(y_dev, pd_dev)
    a_new, se_new = _delong(y_new, pd_new)
    diff, se = a_dev - a_new, math.hypot(se_dev, se_new)
    z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    return AucDropTest(a_dev, a_new, float(z), float(stats.norm.sf(z)))


@dataclass(frozen=True)
class StabilityResult:
    total: float
    table: pd.DataFrame  # bin, expected_n, actual_n, expected_share, actual_share, psi
    edges: np.ndarray | None = None  # the inner cut points, for a numeric variable


def baseline_edges(expected: ArrayLike, n_bins: int = 10) -> np.ndarray:
    """Inner cut points at the baseline's quantiles (deciles by default); ties collapse bins."""
    if n_bins < 2:
        raise ValueError(f"n_bins must be at least 2; got {n_bins}")
    values = as_1d(expected, "expected")
    values = values[~np.isnan(values)]
    if len(values) == 0:
        raise ValueError("expected has no non-missing values to take bin edges from")
    return np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1]))


def _table(names: list[object], expected: np.ndarray, actual: np.ndarray, eps: float,
           edges: np.ndarray | None = None) -> StabilityResult:
    if expected.sum() == 0 or actual.sum() == 0:
        raise ValueError(f"both samples need rows; got {int(expected.sum())} and {int(actual.sum())}")
    keep = (expected + actual) > 0  # bins empty on both sides say nothing
    e_share, a_share = expected / expected.sum(), actual / actual.sum()
    e, a = np.maximum(e_share, eps), np.maximum(a_share, eps)
    contribution = (a - e) * np.log(a / e)
    table = pd.DataFrame({"bin": names, "expected_n": expected.astype(int), "actual_n": actual.astype(int),
                          "expected_share": e_share, "actual_share": a_share, "psi": contribution})[keep]
    return StabilityResult(float(table["psi"].sum()), table.reset_index(drop=True), edges)


def psi(expected: ArrayLike, actual: ArrayLike, bins: int | ArrayLike = 10, *, eps: float = EPS) -> StabilityResult:
    """Population stability index of a numeric variable on bins fixed from the baseline.

    ``bins`` is either a number of quantile bins of ``expected`` (the development sample) or the
    cut points themselves (e.g. the scorecard's own). The outer bins are open, so values beyond the
    baseline's range still count; missing values get their own bin."""
    exp_arr, act_arr = as_1d(expected, "expected"), as_1d(actual, "actual")
    if is_real(bins):
        edges = baseline_edges(exp_arr, int(bins))
    else:
        edges = as_1d(bins, "bins")
        if np.isnan(edges).any() or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bins must be strictly increasing cut points; got {edges.tolist()}")
    bounds = [-np.inf, *edges.tolist(), np.inf]
    names: list[object] = [*(f"[{lo:.4g}, {hi:.4g})" for lo, hi in pairwise(bounds)), MISSING]

    def counts(x: np.ndarray) -> np.ndarray:
        codes = np.where(np.isnan(x), len(edges) + 1, np.searchsorted(edges, x, side="right"))
        return np.bincount(codes, minlength=len(names)).astype(float)

    return _table(names, counts(exp_arr), counts(act_arr), eps, edges)


def _ordered_labels(expected: ArrayLike, exp_arr: np.ndarray, act_arr: np.ndarray) -> list[object]:
    if isinstance(getattr(expected, "dtype", None), pd.CategoricalDtype):
        return list(expected.dtype.categories)  # type: ignore[union-attr]
    seen = [v for v in pd.unique(np.r_[exp_arr, act_arr]) if not pd.isna(v)]
    numeric = all(isinstance(v, Real) for v in seen)
    return sorted(seen) if numeric else sorted(seen, key=str)


def csi(expected_bins: ArrayLike, actual_bins: ArrayLike, labels_order: Sequence[object] | None = None,
        *, eps: float = EPS) -> StabilityResult:
    """Characteristic stability index from the bin each row falls in (any labels: a scorecard's
    bin names, categories, bin numbers). ``labels_order`` fixes the bins and their display order;
    without it they are the labels seen (categorical order if the input is categorical)."""
    exp_arr, act_arr = labels(expected_bins, "expected_bins"), labels(actual_bins, "actual_bins")
    names = list(labels_order) if labels_order is not None else _ordered_labels(expected_bins, exp_arr, act_arr)

    def counts(x: np.ndarray) -> np.ndarray:
        missing = pd.isna(x)
        codes = pd.Categorical(x, categories=names).codes.astype(int)
        unknown = (codes < 0) & ~missing
        if unknown.any():
            raise ValueError(f"bins not in labels_order: {sorted({str(v) for v in x[unknown]})[:10]}")
        codes[missing] = len(names)
        return np.bincount(codes, minlength=len(names) + 1).astype(float)

    return _table([*names, MISSING], counts(exp_arr), counts(act_arr), eps)


def psi_band(value: float, amber: float = 0.10, red: float = 0.25) -> str:
    """The industry's reading of a PSI or CSI: "green" < amber <= "amber" < red <= "red"."""
    if not 0 <= amber < red:
        raise ValueError(f"bands must satisfy 0 <= amber < red; got amber={amber}, red={red}")
    if math.isnan(value):
        raise ValueError("value is NaN; a PSI is always a number")
    return "green" if value < amber else ("amber" if value < red else "red")
