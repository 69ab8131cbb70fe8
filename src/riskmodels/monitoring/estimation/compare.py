"""The estimate beside the realised figures, per application month and overall.

Each segment (a month, or the whole population) gets three things:

* the estimate on all its rows: the figure available before any outcome;
* the estimate on its rows with an outcome, when that is a strict subset (a month not fully
  matured). Realised figures are judged against this one, so both cover the same loans;
* the realised bad rate and AUC, and whether each lies inside the interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from riskmodels.monitoring.estimation.cbpe import (
    DEFAULT_DRAWS,
    DEFAULT_LEVEL,
    Interval,
    PerformanceEstimate,
    Realised,
    estimate,
    realised,
)

Verdict = Literal["inside", "outside", "not judged"]
OVERALL = "overall"


def _verdict(value: float | None, interval: Interval) -> Verdict:
    if value is None or np.isnan(value) or np.isnan(interval.low):
        return "not judged"
    return "inside" if interval.contains(value) else "outside"


@dataclass(frozen=True)
class SegmentComparison:
    segment: str  # "YYYY-MM" or "overall"
    estimate: PerformanceEstimate  # all rows: what is known before outcomes
    observed_estimate: PerformanceEstimate | None  # the rows with an outcome, the basis of the verdicts
    realised: Realised | None

    @property
    def bad_rate_verdict(self) -> Verdict:
        if self.realised is None or self.observed_estimate is None:
            return "not judged"
        return _verdict(self.realised.bad_rate, self.observed_estimate.bad_rate_interval)

    @property
    def auc_verdict(self) -> Verdict:
        if self.realised is None or self.observed_estimate is None:
            return "not judged"
        return _verdict(self.realised.auc, self.observed_estimate.auc_interval)

    def row(self) -> dict[str, Any]:
        """One flat row of the comparison table (and of the JSON)."""
        e, o, r = self.estimate, self.observed_estimate, self.realised
        return {
            "segment": self.segment, "n": e.n, "n_observed": r.n if r is not None else 0,
            "expected_bad_rate": e.bad_rate, "bad_rate_low": e.bad_rate_interval.low,
            "bad_rate_high": e.bad_rate_interval.high,
            "expected_auc": e.auc, "auc_low": e.auc_interval.low, "auc_high": e.auc_interval.high,
            "observed_expected_bad_rate": o.bad_rate if o is not None else None,
            "observed_bad_rate_low": o.bad_rate_interval.low if o is not None else None,
            "observed_bad_rate_high": o.bad_rate_interval.high if o is not None else None,
            "observed_expected_auc": o.auc if o is not None else None,
            "observed_auc_low": o.auc_interval.low if o is not None else None,
            "observed_auc_high": o.auc_interval.high if o is not None else None,
            "realised_bad_rate": r.bad_rate if r is not None else None,
            "realised_auc": r.auc if r is not None else None,
            "bad_rate_verdict": self.bad_rate_verdict, "auc_verdict": self.auc_verdict,
        }


@dataclass(frozen=True)
class Comparison:
    overall: SegmentComparison
    months: list[SegmentComparison]  # oldest first; empty without dates
    level: float
    draws: int
    seed: int

    def table(self) -> pd.DataFrame:
        """Months then the overall row, one column per figure."""
        return pd.DataFrame([s.row() for s in [*self.months, self.overall]])

    @property
    def flagged(self) -> list[str]:
        """``segment: metric`` for each realised figure outside its interval."""
        return [f"{s.segment}: {metric}" for s in [*self.months, self.overall]
                for metric, verdict in (("bad_rate", s.bad_rate_verdict), ("auc", s.auc_verdict))
                if verdict == "outside"]


def _segment(name: str, p: np.ndarray, outcome: np.ndarray, draws: int, level: float,
             seed: int) -> SegmentComparison:
    whole = estimate(p, draws=draws, level=level, seed=seed)
    seen = np.isfinite(outcome)
    if not seen.any():
        return SegmentComparison(name, whole, None, None)
    # The same seed for the observed rows: when they are all the rows, the two estimates coincide.
    observed = whole if seen.all() else estimate(p[seen], draws=draws, level=level, seed=seed)
    return SegmentComparison(name, whole, observed, realised(outcome[seen], p[seen]))


def _child_seed(seed: int, *keys: int) -> int:
    """Each segment draws from its own seed, so adding a month changes no other month's interval."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0])


def compare(pd_: ArrayLike, outcome: ArrayLike | None = None, dates: ArrayLike | None = None, *,
            draws: int = DEFAULT_DRAWS, level: float = DEFAULT_LEVEL, seed: int = 0) -> Comparison:
    """Estimate per application month of ``dates`` (when given) and overall, beside the realised
    figures of the rows whose ``outcome`` is known (1 bad, 0 good, NaN not yet)."""
    p = np.asarray(pd_, dtype=float).ravel()
    y = np.full(len(p), np.nan) if outcome is None else np.asarray(outcome, dtype=float).ravel()
    if len(y) != len(p):
        raise ValueError(f"outcome must have one value per PD; got {len(y)} for {len(p)} PDs")
    overall = _segment(OVERALL, p, y, draws, level, _child_seed(seed, 0, 0))
    months: list[SegmentComparison] = []
    if dates is not None:
        periods = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates))).to_period("M")
        if len(periods) != len(p):
            raise ValueError(f"dates must have one value per PD; got {len(periods)} for {len(p)} PDs")
        missing = int(np.asarray(periods.isna()).sum())
        if missing:
            raise ValueError(f"dates must all be set; got {missing} missing")
        labels = periods.astype(str).to_numpy()
        for month in sorted(set(labels)):
            mask = labels == month
            year, number = (int(x) for x in month.split("-"))
            months.append(_segment(month, p[mask], y[mask], draws, level, _child_seed(seed, year, number)))
    return Comparison(overall, months, level, draws, seed)
