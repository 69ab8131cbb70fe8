"""A confidence interval for a PSI (or CSI), and the PSI sampling noise alone would give.

Method: a seeded parametric bootstrap on the fixed bins. Both samples are redrawn as
multinomial counts from their own bin shares (``resamples`` times, all at once), and the PSI of
every pair is computed as ``metrics.psi`` does (same ``eps`` floor). A PSI is never negative,
so resampling adds noise that only raises it: the bootstrap mean sits above the observed value
by that bias. The interval is the bootstrap's percentiles moved down by the bias (the
bias-corrected percentile interval), floored at 0; it narrows as either sample grows.

The noise level is the PSI two samples of the same population exceed 5% of the time: for
``n`` and ``m`` rows on ``k`` bins, ``PSI * n * m / (n + m)`` is about chi-square with
``k - 1`` degrees of freedom (the PSI is the symmetric Kullback-Leibler divergence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from riskmodels.evaluation import metrics

RESAMPLES, LEVEL, SEED = 200, 0.95, 20_240_518
METHOD = (f"bias-corrected percentile bootstrap, {RESAMPLES} seeded multinomial resamples of both "
          f"samples' bin counts, {LEVEL:.0%} level")


@dataclass(frozen=True)
class PsiInterval:
    psi: float
    lower: float
    upper: float
    bias: float  # bootstrap mean minus the observed PSI
    noise: float  # 95% quantile of the PSI between two samples of one population this size
    level: float
    resamples: int


def _psi(expected: np.ndarray, actual: np.ndarray, eps: float) -> np.ndarray:
    """PSI of each row pair of count matrices (resamples x bins)."""
    e = np.maximum(expected / expected.sum(axis=-1, keepdims=True), eps)
    a = np.maximum(actual / actual.sum(axis=-1, keepdims=True), eps)
    return np.asarray(((a - e) * np.log(a / e)).sum(axis=-1), dtype=float)


def psi_interval(expected_n: np.ndarray, actual_n: np.ndarray, *, resamples: int = RESAMPLES,
                 level: float = LEVEL, seed: int = SEED, eps: float = metrics.EPS) -> PsiInterval:
    """The interval of the PSI between two samples' counts on the same bins."""
    expected_n, actual_n = np.asarray(expected_n, dtype=float), np.asarray(actual_n, dtype=float)
    if expected_n.shape != actual_n.shape or expected_n.ndim != 1:
        raise ValueError(f"counts must be two 1-d arrays on the same bins; got {expected_n.shape} and {actual_n.shape}")
    n, m = int(expected_n.sum()), int(actual_n.sum())
    if n == 0 or m == 0:
        raise ValueError(f"both samples must hold rows; got {n} and {m}")
    if not 0 < level < 1 or resamples < 10:
        raise ValueError(f"level must be in (0, 1) and resamples at least 10; got {level} and {resamples}")
    observed = float(_psi(expected_n, actual_n, eps))
    rng = np.random.default_rng(seed)
    boot = _psi(rng.multinomial(n, expected_n / n, size=resamples).astype(float),
                rng.multinomial(m, actual_n / m, size=resamples).astype(float), eps)
    bias = float(boot.mean()) - observed
    tail = (1 - level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail]) - bias
    bins = int(((expected_n + actual_n) > 0).sum())
    noise = float(stats.chi2.ppf(0.95, max(bins - 1, 1)) * (n + m) / (n * m))
    return PsiInterval(observed, max(float(low), 0.0), max(float(high), 0.0), bias, noise, level, resamples)


def interval_of(result: metrics.StabilityResult, seed: int = SEED) -> PsiInterval:
    """The interval of a ``metrics.psi`` / ``metrics.csi`` result, on its own bins."""
    return psi_interval(result.table["expected_n"].to_numpy(), result.table["actual_n"].to_numpy(), seed=seed)
