"""The gains table by score band, and the score's distribution month by month.

Gains: the rows with an outcome, in score deciles of that same sample (ties kept in one band),
from the lowest score (riskiest) up: count, bads, bad rate, cumulative share of the bads caught
(bad capture) and of the goods, and their gap. The largest gap at a band edge is the banded KS;
the exact KS is the largest gap over every score, as ``scipy.stats.ks_2samp`` of the goods'
and bads' scores gives it. Without outcomes there is no gains table, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.monitoring.drift.data import ScoredSample

GAINS_BANDS = 10
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)


@dataclass(frozen=True)
class Gains:
    table: pd.DataFrame  # band, min_score, max_score, n, bads, bad_rate, cum_bad_capture, cum_good_share, ks
    ks: float  # exact, over every score cut-off
    n: int
    bads: int

    @property
    def banded_ks(self) -> float:
        return float(self.table["ks"].max())


def exact_ks(score: np.ndarray, bad: np.ndarray) -> float:
    """Largest gap between the bads' and goods' cumulative shares over every score cut-off."""
    order = np.argsort(score, kind="stable")
    s, b = score[order], bad[order].astype(float)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last row of each distinct score
    cum_bad, cum_good = np.cumsum(b)[last] / b.sum(), np.cumsum(1 - b)[last] / (1 - b).sum()
    return float(np.max(np.abs(cum_bad - cum_good)))


def gains_table(scored: ScoredSample, bands: int = GAINS_BANDS) -> Gains | None:
    """The gains table of a sample's rows with outcomes, or None when it has not both classes."""
    seen = np.isfinite(scored.sample.outcome)
    score, bad = scored.score[seen], scored.sample.outcome[seen].astype(int)
    if len(np.unique(bad)) < 2:
        return None
    edges = np.unique(np.quantile(score, np.linspace(0, 1, bands + 1)[1:-1]))
    band = np.searchsorted(edges, score, side="right")
    frame = pd.DataFrame({"band": band + 1, "score": score, "bad": bad})
    table = frame.groupby("band").agg(min_score=("score", "min"), max_score=("score", "max"),
                                      n=("bad", "size"), bads=("bad", "sum")).reset_index()
    table["bad_rate"] = table["bads"] / table["n"]
    table["cum_bad_capture"] = table["bads"].cumsum() / table["bads"].sum()
    goods = table["n"] - table["bads"]
    table["cum_good_share"] = goods.cumsum() / goods.sum()
    table["ks"] = (table["cum_bad_capture"] - table["cum_good_share"]).abs()
    return Gains(table, exact_ks(score, bad), int(len(bad)), int(bad.sum()))


def _describe(sample: str, months: pd.Series, score: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"month": months.astype(str).to_numpy(), "score": score})
    grouped = frame.groupby("month")["score"]
    out = grouped.agg(n="size", mean="mean", std="std")
    for q in QUANTILES:
        out[f"p{round(100 * q)}"] = grouped.quantile(q)
    return out.reset_index().assign(sample=sample)[["sample", "month", *out.columns]]


def score_by_month(baseline: ScoredSample, current: ScoredSample) -> pd.DataFrame:
    """Count, mean, standard deviation and quantiles of the score per month of each dated sample
    (the development sample first); empty when neither is dated."""
    parts = [_describe(name, s.sample.dates.dt.to_period("M"), s.score)
             for name, s in (("baseline", baseline), ("current", current)) if s.sample.dates is not None]
    columns = ["sample", "month", "n", "mean", "std", *(f"p{round(100 * q)}" for q in QUANTILES)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
