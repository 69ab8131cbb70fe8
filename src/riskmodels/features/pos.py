"""POS acquiring (收单): 12 months of card volume and transaction counts."""

from __future__ import annotations

from functools import cache

import numpy as np

from riskmodels.contract import MONTHS
from riskmodels.features._arrays import Columns, Features, monthly, monthly_names, ratio

POS_VOLUME = monthly_names("pos_volume")
POS_COUNT = monthly_names("pos_count")
COLUMNS = (*POS_VOLUME, *POS_COUNT)
_BIT = 1 << np.arange(MONTHS)
HALF_YEAR = 6  # pos_growth_6v6: the last half-year of card volume against the one before


@cache
def _longest_run_by_pattern() -> np.ndarray:
    """Longest run of set bits for every 12-bit pattern: one lookup replaces a per-month loop."""
    patterns = (np.arange(1 << MONTHS)[:, None] & _BIT) > 0
    run = np.zeros(len(patterns), dtype=np.int64)
    longest = np.zeros_like(run)
    for month in range(MONTHS):
        run = (run + 1) * patterns[:, month]
        np.maximum(longest, run, out=longest)
    return longest.astype(float)


def pos_features(cols: Columns, annual_inflow: np.ndarray) -> Features:
    """``annual_inflow`` is ``flow_annual_inflow``: POS receipts settle into the same account."""
    volume, count = monthly(cols, POS_VOLUME, POS_COUNT)
    idle = volume.values == 0  # a null month is unknown, not idle
    gap = _longest_run_by_pattern()[idle.astype(np.int64) @ _BIT]
    volume_12m = volume.per_year
    return {
        "pos_volume_12m": volume_12m,
        "pos_count_12m": count.per_year,
        "pos_active_months": volume.months_where(volume.values > 0),
        "pos_longest_gap": np.where(volume.count > 0, gap, np.nan),
        "pos_volatility": volume.variation(),
        "pos_growth_6v6": ratio(volume.recent_mean(HALF_YEAR), volume.older_mean(HALF_YEAR)),
        "pos_share_of_inflow": ratio(volume_12m, annual_inflow),
    }
