"""PD calibration of a scorecard: logistic recalibration of the score's log-odds.

The logistic fit on the training rows ranks well but is over-confident out of sample: its
log-odds spread too wide (the top classes' PDs come out too low) and its level is the training
rows' own. Calibration maps the model's log-odds of bad ``z`` to

    calibrated log-odds = intercept + slope * z

fitted on out-of-sample log-odds only: every development row (train and test splits) is scored
by a scorecard refitted without it (k-fold, ``folds`` 4 by default, binning and selection
included), so ``z`` carries the over-fit the final model will show on new applicants; the
out-of-time rows are scored by the final fit, which never saw them. (The test split alone, about 5,000 rows and 250 defaults at the demo size, left the
slope's standard error near 0.07 and one unlucky split moved the level by 30%.)

1. **slope**: a logistic regression of the bad event on the held-out ``z`` of every development
   row. A slope below 1 shrinks the spread by what the fit over-stated.
2. **level** (the intercept, slope held fixed): the calibrated PDs' mean is anchored to the
   observed default rate of the level sample the basis names:
   - ``through_the_cycle`` (the default): every month with an observed outcome, out-of-time
     months included, the long-run average default rate of the longest history there is (the
     economy's cycle moves the rate month by month; leaving the last months out anchors the
     level to one part of the cycle);
   - ``point_in_time``: only the most recent ``pit_months`` months, the rate of the current
     conditions.

3. **heterogeneity** (optional, ``heterogeneity="auto"``): applicants with the same score differ
   by risk the score cannot see, so the true log-odds at a score is a line in it plus a random
   effect ``sigma * Z``, ``Z ~ N(0, 1)``, and the PD is its average,
   ``PD = E[expit(c + d * L + sigma * Z)]`` (logistic-normal, by 24-point Gauss-Hermite
   quadrature), ``L`` the calibrated line's log-odds. Averaging bends the line: the safest
   scores' PDs fall faster than a line lets them. ``(c, d, sigma)`` are fitted by maximum
   likelihood on the same held-out log-odds as the slope (then ``c`` re-levelled as the line's
   intercept is), and sigma is kept only when the likelihood-ratio test of ``sigma = 0``
   rejects at ``alpha`` (on the boundary: half a chi-square with one degree of freedom). A
   large book's back-test sees this bend; a small one's calibration sample cannot tell it from
   noise, and keeps the line. The points, and so every score, stay the line's: only the PD a
   score reads changes, and the scale's ends are untouched.

The fitted line is baked into the compiled scorecard (``CompiledScorecard.calibrated``): every
bin's points become ``slope * points + shift / n``, so the characteristics' points still sum to
the score, the score is ``offset + factor * calibrated log-odds of good`` (of the line) and every path
(one row, frames, batch, service, drift) reads the same calibrated PD from the unclipped sum,
through ``Calibration.pd`` (the logistic of the line, or its logistic-normal average).

At serving time only ``Calibration.pd`` runs: the line is in the spec's points.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

Basis = Literal["through_the_cycle", "point_in_time"]
Method = Literal["logistic", "intercept_only", "none"]
Heterogeneity = Literal["auto", "none"]
FloatArray = npt.NDArray[np.float64]
QUADRATURE_POINTS = 24


@lru_cache(maxsize=1)
def _standard_normal_nodes() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Gauss-Hermite nodes and weights for the expectation over Z ~ N(0, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(QUADRATURE_POINTS)
    return tuple(float(x) for x in nodes), tuple(float(w) for w in weights / weights.sum())


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def logistic_normal_pd(log_odds: FloatArray, sigma: float) -> FloatArray:
    """``E[expit(log_odds + sigma * Z)]`` for every row.

    The nodes are added one at a time, element by element: a row's PD is then the same bits
    whatever else is in the array (a sum along an axis rounds by the array's shape, and a B
    answer scored alone differed from the same row in a batch in the 17th digit)."""
    nodes, weights = _standard_normal_nodes()
    x = np.asarray(log_odds, dtype=float)
    out: FloatArray = np.zeros_like(x)
    for node, weight in zip(nodes, weights, strict=True):
        out += weight * _sigmoid(x + sigma * node)
    return out


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * x))  # stable at both ends
    return out


@dataclass(frozen=True)
class Calibration:
    """``calibrated log-odds of bad = intercept + slope * model log-odds of bad``."""

    method: Method
    basis: Basis
    intercept: float
    slope: float
    slope_rows: int
    slope_bads: int
    level_rows: int
    level_bads: int
    level_default_rate: float
    slope_sample: str
    level_sample: str
    # sigma of the logistic-normal average (0: the plain logistic of the line), the
    # likelihood-ratio statistic that kept or refused it (0 when not tested), and the line in
    # the calibrated log-odds L that it averages over: c + d * L.
    heterogeneity: float = 0.0
    heterogeneity_lr: float = 0.0
    mixture_intercept: float = 0.0
    mixture_slope: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.intercept) and math.isfinite(self.slope) and self.slope > 0):
            raise ValueError(f"calibration needs a finite intercept and a positive slope; got "
                             f"{self.intercept} and {self.slope}")
        if not (math.isfinite(self.heterogeneity) and self.heterogeneity >= 0):
            raise ValueError(f"heterogeneity must be a finite sigma >= 0; got {self.heterogeneity}")
        if not (math.isfinite(self.mixture_intercept) and math.isfinite(self.mixture_slope) and self.mixture_slope > 0):
            raise ValueError(f"the logistic-normal line needs a finite intercept and a positive slope; got "
                             f"{self.mixture_intercept} and {self.mixture_slope}")

    def apply(self, log_odds_bad: FloatArray) -> FloatArray:
        return self.intercept + self.slope * np.asarray(log_odds_bad, dtype=float)

    @overload
    def pd(self, line_log_odds_bad: float) -> float: ...
    @overload
    def pd(self, line_log_odds_bad: FloatArray) -> FloatArray: ...
    def pd(self, line_log_odds_bad: float | FloatArray) -> float | FloatArray:
        """The PD of calibrated log-odds of the line (the compiled points' log-odds): their
        logistic, or the logistic-normal average when ``heterogeneity`` is above 0."""
        sigma, c, d = self.heterogeneity, self.mixture_intercept, self.mixture_slope
        if isinstance(line_log_odds_bad, float | int):
            if sigma == 0:
                return _expit(float(line_log_odds_bad))
            # The one-row path: the nodes in one array, then summed in logistic_normal_pd's order,
            # so a row scored alone has the PD it has in a frame, to the bit.
            nodes, weights = _standard_normal_nodes()
            at_nodes = _sigmoid((c + d * float(line_log_odds_bad)) + sigma * np.asarray(nodes)).tolist()
            total = 0.0
            for weight, value in zip(weights, at_nodes, strict=True):
                total += weight * value
            return total
        x = np.asarray(line_log_odds_bad, dtype=float)
        return _sigmoid(x) if sigma == 0 else logistic_normal_pd(c + d * x, sigma)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(**data)

    @classmethod
    def identity(cls) -> Calibration:
        return cls("none", "through_the_cycle", 0.0, 1.0, 0, 0, 0, 0, float("nan"), "none", "none")


def level_intercept(z: FloatArray, y: FloatArray, slope: float = 1.0, iterations: int = 50) -> float:
    """Maximum-likelihood intercept ``a`` of ``P(y=1) = expit(a + slope * z)`` with the slope held
    fixed (``slope * z`` an offset): Newton in one dimension. At the optimum the PDs sum to the
    bads; also the shift a re-levelled Hosmer-Lemeshow test moves the PDs by."""
    a = math.log(max(y.mean(), 1e-9) / max(1 - y.mean(), 1e-9)) - slope * float(np.mean(z))
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a + slope * z)))
        step = float((y - p).sum() / (p * (1 - p)).sum())
        a += step
        if abs(step) < 1e-12:
            break
    return a


def fit_calibration(z_slope: npt.ArrayLike, y_slope: npt.ArrayLike, z_level: npt.ArrayLike,
                    y_level: npt.ArrayLike, method: Method = "logistic", basis: Basis = "through_the_cycle",
                    slope_sample: str = "held-out (k-fold) log-odds of every development month",
                    level_sample: str = "every month with an observed outcome",
                    heterogeneity: Heterogeneity = "none", alpha: float = 0.05) -> Calibration:
    """Fit the calibration (see the module docstring). ``z_*``: the model's log-odds of bad;
    ``y_*``: 1 for the bad event. ``method="intercept_only"`` keeps the slope at 1."""
    zs, ys = np.asarray(z_slope, dtype=float), np.asarray(y_slope, dtype=float)
    zl, yl = np.asarray(z_level, dtype=float), np.asarray(y_level, dtype=float)
    if method == "none":
        return Calibration.identity()
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5); got {alpha}")
    for name, y in (("slope", ys), ("level", yl)):
        if len(y) == 0 or not 0 < y.sum() < len(y):
            raise ValueError(f"the {name} sample must hold both goods and bads; got {int(y.sum())} bads "
                             f"in {len(y)} rows")
    # The slope: the scorecard's own maximum-likelihood logistic fit, on the one column z
    # (imported here: a compiled scorecard loads this module and must not load sklearn).
    from riskmodels.scorecard.logistic import WoeLogisticRegression

    line = WoeLogisticRegression().fit(zs[:, None], ys) if method == "logistic" else None
    slope = float(line.coef_[0, 0]) if line is not None else 1.0
    intercept = level_intercept(zl, yl, slope)
    sigma, lr, c, d = 0.0, 0.0, 0.0, 1.0
    if heterogeneity == "auto":
        start = (float(line.intercept_[0]) if line is not None else level_intercept(zs, ys), slope)
        sigma_fit, mixture_slope, lr = _fit_logistic_normal(zs, ys, start, free_slope=method == "logistic")
        if lr > _boundary_critical_value(alpha):
            # Re-expressed on the line's log-odds L = intercept + slope * z, which the points keep.
            sigma, d = sigma_fit, mixture_slope / slope
            c = _mixture_level(intercept + slope * zl, yl, d, sigma)
    return Calibration(method, basis, float(intercept), float(slope), len(ys), int(ys.sum()), len(yl),
                       int(yl.sum()), float(yl.mean()), slope_sample, level_sample, float(sigma), float(lr),
                       float(c), float(d))


def _boundary_critical_value(alpha: float) -> float:
    """The likelihood-ratio test of sigma = 0 sits on the boundary of sigma >= 0: its null
    distribution is half a point mass at 0 and half a chi-square with one degree of freedom."""
    from scipy import stats

    return float(stats.chi2.isf(2 * alpha, 1))


def _log_likelihood(p: FloatArray, y: FloatArray) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float((y * np.log(p) + (1 - y) * np.log1p(-p)).sum())


def _fit_logistic_normal(z: FloatArray, y: FloatArray, start: tuple[float, float],
                         free_slope: bool) -> tuple[float, float, float]:
    """Maximum-likelihood (intercept, slope, sigma) of ``E[expit(a + b z + sigma Z)]`` from the
    line's (a, b); returns (sigma, slope, likelihood-ratio statistic against the line)."""
    from scipy import optimize

    nodes, weights = (np.asarray(v) for v in _standard_normal_nodes())

    def negative_log_likelihood(theta: FloatArray) -> tuple[float, FloatArray]:
        a, b, sigma = theta[0], theta[1] if free_slope else start[1], theta[2]
        s = _sigmoid(a + b * z[:, None] + sigma * nodes)
        p = np.clip((s * weights).sum(axis=1), 1e-15, 1 - 1e-15)
        dp = s * (1 - s) * weights  # d p / d (log-odds) at each node
        score = y / p - (1 - y) / (1 - p)
        d_a = dp.sum(axis=1)
        grad = -np.array([score @ d_a, score @ (d_a * z) if free_slope else 0.0, score @ (dp @ nodes)])
        return -_log_likelihood(p, y), grad

    result = optimize.minimize(negative_log_likelihood, np.array([start[0], start[1], 0.5]), jac=True,
                               method="L-BFGS-B", bounds=[(None, None), (1e-6, None), (0.0, 10.0)])
    if not result.success:
        raise RuntimeError(f"the logistic-normal calibration did not converge: {result.message}")
    line_log_likelihood = _log_likelihood(_sigmoid(start[0] + start[1] * z), y)
    lr = max(0.0, 2.0 * (-float(result.fun) - line_log_likelihood))
    return float(result.x[2]), float(result.x[1]) if free_slope else start[1], lr


def _mixture_level(z: FloatArray, y: FloatArray, slope: float, sigma: float) -> float:
    """The intercept ``c`` whose logistic-normal PDs ``E[expit(c + slope * z + sigma Z)]``
    average to the level sample's default rate."""
    from scipy import optimize

    target = float(y.mean())

    def gap(a: float) -> float:
        return float(logistic_normal_pd(a + slope * z, sigma).mean()) - target

    return float(optimize.brentq(gap, -30.0, 30.0, xtol=1e-12))
