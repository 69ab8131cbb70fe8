"""Confidence-based performance estimation (CBPE, after NannyML): AUC and bad rate from
calibrated PDs alone, before any outcome is known.

If the PDs are calibrated, row ``i`` is bad with probability ``p_i``. Then:

* the expected bad rate is the mean PD;
* the expected AUC is the area under the expected ROC curve. Each row counts ``p_i`` as a bad
  and ``1 - p_i`` as a good. So the curve's true- and false-positive rates are the shares of
  expected bads and expected goods above each PD. The area is the weighted chance that a bad
  outranks a good (ties count half), computed in O(n log n) by sorting the PDs once.

The interval is a simulation, not an asymptotic formula. It draws ``y ~ Bernoulli(p)`` a few
hundred times (seeded, vectorised) and takes the quantiles of the bad rate and AUC that each
draw would realise. It answers "where will the realised figure fall if the PDs are right?",
so a realised figure outside it says the PDs are wrong for this population.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from riskmodels.evaluation import metrics

DEFAULT_DRAWS = 500
DEFAULT_LEVEL = 0.95
# Labels drawn per block of the simulation (draws x rows): about 40 MB of float64 uniforms.
_BLOCK_ELEMENTS = 5_000_000


def _probabilities(pd_: ArrayLike) -> np.ndarray:
    p = np.asarray(pd_, dtype=float).ravel()
    if p.size == 0:
        raise ValueError("pd must hold at least one probability; got an empty array")
    if not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0:
        bad = p[~(np.isfinite(p) & (p >= 0.0) & (p <= 1.0))]
        raise ValueError(f"pd must hold probabilities in [0, 1]; got {bad[:5].tolist()}")
    return p


def expected_bad_rate(pd_: ArrayLike) -> float:
    """The bad rate a calibrated model expects: the mean PD."""
    return float(_probabilities(pd_).mean())


def expected_auc(pd_: ArrayLike) -> float:
    """The area under the expected ROC curve. Each row counts ``p`` as a bad and ``1 - p`` as a
    good, ranked by its own PD (higher PD, riskier; ties count half).

    It equals ``sum_ij p_i (1 - p_j) [p_i > p_j] + 0.5 [p_i = p_j]`` over ``sum_i p_i *
    sum_j (1 - p_j)``. That sum includes each row against itself as a tie, as the curve does. This
    differs from the mean realised AUC by O(1/n). NaN when no row is expected bad or none good."""
    p = _probabilities(pd_)
    values, inverse = np.unique(p, return_inverse=True)  # ascending PD, ties grouped
    bad = np.bincount(inverse, weights=p, minlength=len(values))
    good = np.bincount(inverse, weights=1.0 - p, minlength=len(values))
    total = bad.sum() * good.sum()
    if total <= 0.0:
        return math.nan
    good_below = np.cumsum(good) - good
    return float(np.sum(bad * (good_below + 0.5 * good)) / total)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class PerformanceEstimate:
    """The expected bad rate and AUC of a population, with the intervals in which the realised
    figures fall at ``level`` if the PDs are calibrated (quantiles of ``draws`` simulations)."""

    n: int
    bad_rate: float
    bad_rate_interval: Interval
    auc: float
    auc_interval: Interval
    level: float
    draws: int
    auc_draws: int  # draws holding both a bad and a good, so a realised AUC exists
    seed: int


def estimate(pd_: ArrayLike, *, draws: int = DEFAULT_DRAWS, level: float = DEFAULT_LEVEL,
             seed: int = 0) -> PerformanceEstimate:
    """Expected bad rate and AUC of the rows with PDs ``pd_``, each with its simulated interval."""
    p = _probabilities(pd_)
    if draws < 20:
        raise ValueError(f"draws must be at least 20 for a quantile interval; got {draws}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1; got {level}")
    rates, aucs = simulate(p, draws=draws, seed=seed)
    tail = (1.0 - level) / 2.0
    defined = aucs[np.isfinite(aucs)]
    auc_interval = (Interval(*(float(q) for q in np.quantile(defined, [tail, 1.0 - tail])))
                    if len(defined) >= 0.5 * draws else Interval(math.nan, math.nan))
    return PerformanceEstimate(
        n=len(p), bad_rate=float(p.mean()),
        bad_rate_interval=Interval(*(float(q) for q in np.quantile(rates, [tail, 1.0 - tail]))),
        auc=expected_auc(p), auc_interval=auc_interval, level=level, draws=draws,
        auc_draws=len(defined), seed=seed)


def simulate(pd_: ArrayLike, *, draws: int = DEFAULT_DRAWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The bad rate and AUC that each of ``draws`` label sets ``y ~ Bernoulli(pd)`` realises.
    An AUC is NaN when its draw holds one class only.

    The rows' PD ranks stay fixed, so each draw's AUC is its bads' rank sum (Mann-Whitney, mid
    ranks for ties). That is one matrix product per block of draws, not a sort per draw."""
    p = _probabilities(pd_)
    n = len(p)
    ranks = stats.rankdata(p)
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_ELEMENTS // n)
    n_bad = np.empty(draws)
    rank_sum = np.empty(draws)
    for start in range(0, draws, block):
        stop = min(draws, start + block)
        y = (rng.random((stop - start, n)) < p).astype(float)
        n_bad[start:stop] = y.sum(axis=1)
        rank_sum[start:stop] = y @ ranks
    n_good = n - n_bad
    with np.errstate(divide="ignore", invalid="ignore"):  # one-class draws: NaN, counted by the caller
        aucs = (rank_sum - n_bad * (n_bad + 1) / 2) / (n_bad * n_good)
    aucs[(n_bad == 0) | (n_good == 0)] = math.nan
    return n_bad / n, aucs


@dataclass(frozen=True)
class Realised:
    """What the outcomes showed: the bad rate and, when both classes occur, the AUC."""

    n: int
    bads: int
    bad_rate: float
    auc: float  # NaN with one class only


def realised(y: ArrayLike, pd_: ArrayLike) -> Realised:
    """Realised bad rate and AUC (``evaluation.metrics.auc``, ties half) of labelled rows."""
    labels = np.asarray(y, dtype=float).ravel()
    p = _probabilities(pd_)
    if len(labels) != len(p):
        raise ValueError(f"y must have one label per PD; got {len(labels)} labels for {len(p)} PDs")
    if not np.all(np.isin(labels, (0.0, 1.0))):
        raise ValueError(f"y must hold 0 or 1; got {sorted(set(labels[~np.isin(labels, (0.0, 1.0))]))[:5]}")
    bads = int(labels.sum())
    auc = metrics.auc(labels, p) if 0 < bads < len(labels) else math.nan
    return Realised(len(labels), bads, bads / len(labels), auc)
