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

The fitted line is baked into the compiled scorecard (``CompiledScorecard.calibrated``): every
bin's points become ``slope * points + shift / n``, so the characteristics' points still sum to
the score, the score is ``offset + factor * calibrated log-odds of good`` and every path (one
row, frames, batch, service, drift) reads the same calibrated PD from the unclipped sum.

Nothing here runs at serving time: the line is in the spec's points.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Basis = Literal["through_the_cycle", "point_in_time"]
Method = Literal["logistic", "intercept_only", "none"]
FloatArray = npt.NDArray[np.float64]


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

    def __post_init__(self) -> None:
        if not (math.isfinite(self.intercept) and math.isfinite(self.slope) and self.slope > 0):
            raise ValueError(f"calibration needs a finite intercept and a positive slope; got "
                             f"{self.intercept} and {self.slope}")

    def apply(self, log_odds_bad: FloatArray) -> FloatArray:
        return self.intercept + self.slope * np.asarray(log_odds_bad, dtype=float)

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
                    level_sample: str = "every month with an observed outcome") -> Calibration:
    """Fit the calibration line (see the module docstring). ``z_*``: the model's log-odds of
    bad; ``y_*``: 1 for the bad event. ``method="intercept_only"`` keeps the slope at 1."""
    zs, ys = np.asarray(z_slope, dtype=float), np.asarray(y_slope, dtype=float)
    zl, yl = np.asarray(z_level, dtype=float), np.asarray(y_level, dtype=float)
    if method == "none":
        return Calibration.identity()
    for name, y in (("slope", ys), ("level", yl)):
        if len(y) == 0 or not 0 < y.sum() < len(y):
            raise ValueError(f"the {name} sample must hold both goods and bads; got {int(y.sum())} bads "
                             f"in {len(y)} rows")
    # The slope: the scorecard's own maximum-likelihood logistic fit, on the one column z
    # (imported here: a compiled scorecard loads this module and must not load sklearn).
    from riskmodels.scorecard.logistic import WoeLogisticRegression

    slope = float(WoeLogisticRegression().fit(zs[:, None], ys).coef_[0, 0]) if method == "logistic" else 1.0
    intercept = level_intercept(zl, yl, slope)
    return Calibration(method, basis, float(intercept), float(slope), len(ys), int(ys.sum()), len(yl),
                       int(yl.sum()), float(yl.mean()), slope_sample, level_sample)
