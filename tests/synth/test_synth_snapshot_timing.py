"""Snapshot columns that place a month in the loan's term and in the calendar: months to
maturity (for the renewal window) and last year's comparable inflow (for seasonality)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.contract import MONTHS
from riskmodels.synth import Portfolio
from riskmodels.synth.behavior import comparable_month_last_year


def _month_number(year: int, month: int) -> int:
    return year * 12 + month - 1


def test_comparable_month_matches_the_spring_festival() -> None:
    # Festival: January 2023, February 2024, January 2025, February 2026 (segments.py).
    pairs = {(2025, 1): (2024, 2), (2025, 2): (2024, 1), (2024, 1): (2023, 2), (2024, 2): (2023, 1),
             (2025, 3): (2024, 3), (2024, 12): (2023, 12), (2027, 2): (2026, 2)}  # 2026 and 2027: both February
    months = np.array([_month_number(*k) for k in pairs])
    assert comparable_month_last_year(months).tolist() == [_month_number(*v) for v in pairs.values()]


def _joined(portfolio: Portfolio) -> pd.DataFrame:
    apps = portfolio.applications.set_index("application_id")
    snaps = portfolio.behavior_snapshots
    return snaps.join(apps, on="account_id", rsuffix="_app")


def test_months_to_maturity_counts_down_the_term_and_restarts(portfolio: Portfolio) -> None:
    rows = _joined(portfolio)
    term = rows["requested_term_months"].to_numpy()
    mob = rows["months_on_book"].to_numpy()
    assert (rows["months_to_maturity"].to_numpy() == (term - mob % term) % term).all()
    # A 12-month loan matures at 12 months on book; a 6-month one also at 6 (then renewed).
    at_maturity = rows[rows["months_to_maturity"] == 0]
    assert len(at_maturity) and (at_maturity["months_on_book"] % at_maturity["requested_term_months"] == 0).all()
    assert set(rows.loc[rows["requested_term_months"] == 6, "months_to_maturity"]) == set(range(6))


def test_same_month_last_year_reads_the_application_statement(portfolio: Portfolio) -> None:
    rows = _joined(portfolio)
    app_month = rows["application_date"].dt.year * 12 + rows["application_date"].dt.month - 1
    snap_month = rows["snapshot_date"].dt.year * 12 + rows["snapshot_date"].dt.month - 1
    lag = (app_month - comparable_month_last_year(snap_month.to_numpy())).to_numpy()
    inside = (lag >= 1) & (lag <= MONTHS)
    statement = np.stack([rows[f"inflow_m{m:02d}"].to_numpy(dtype=float) for m in range(1, MONTHS + 1)], axis=1)
    expected = statement[np.flatnonzero(inside), lag[inside] - 1]
    got = rows["inflow_same_month_last_year"].to_numpy(dtype=float)[inside]
    assert inside.mean() > 0.8 and np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.allclose(got[~np.isnan(got)], expected[~np.isnan(expected)])
    # Later months come from the account itself, which every booked loan has.
    assert rows.loc[~inside, "inflow_same_month_last_year"].notna().all()
