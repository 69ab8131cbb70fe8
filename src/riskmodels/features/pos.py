"""POS acquiring (收单): 12 months of card volume and transaction counts."""

from __future__ import annotations

from riskmodels.features._arrays import Columns, Features, Value, monthly, monthly_names, ratio
from riskmodels.features._arrays import longest_run_by_pattern as _longest_run_by_pattern  # noqa: F401 (tests)

POS_VOLUME = monthly_names("pos_volume")
POS_COUNT = monthly_names("pos_count")
COLUMNS = (*POS_VOLUME, *POS_COUNT)
HALF_YEAR = 6  # pos_growth_6v6: the last half-year of card volume against the one before


def pos_features(cols: Columns, annual_inflow: Value) -> Features:
    """``annual_inflow`` is ``flow_annual_inflow``: POS receipts settle into the same account."""
    volume, count = monthly(cols, POS_VOLUME, POS_COUNT)
    volume_12m = volume.per_year
    return {
        "pos_volume_12m": volume_12m,
        "pos_count_12m": count.per_year,
        "pos_active_months": volume.months_where(lambda v: v > 0),
        "pos_longest_gap": volume.longest_run(lambda v: v == 0),  # a null month is unknown, not idle
        "pos_volatility": volume.variation(),
        "pos_growth_6v6": ratio(volume.recent_mean(HALF_YEAR), volume.older_mean(HALF_YEAR)),
        "pos_share_of_inflow": ratio(volume_12m, annual_inflow),
    }
