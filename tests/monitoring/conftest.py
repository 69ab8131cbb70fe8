"""Small constructed snapshot panels: every contract column, one healthy account by default."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import BEHAVIOR_SNAPSHOTS

LAST_MONTH_END = pd.Timestamp("2025-03-31")
# A healthy account: inflow at its baseline, the instalment set aside, no delinquency.
HEALTHY: dict[str, Any] = {
    "industry": "retail", "months_on_book": 6, "months_to_maturity": 6, "limit_amount": 200_000.0, "balance": 100_000.0,
    "instalment_due": 10_000.0, "balance_before_due": 15_000.0, "dpd": 0, "worst_dpd_3m": 0, "worst_dpd_6m": 0,
    "times_dpd_1_29_6m": 0, "inflow_month": 100_000.0, "inflow_baseline": 100_000.0,
    "inflow_same_month_last_year": 100_000.0, "avg_balance_month": 20_000.0, "avg_balance_baseline": 20_000.0, "new_inquiries_since_booking": 0,
    "new_lenders_since_booking": 0, "new_large_loan_other_bank": False, "tax_trend": 1.0, "pos_trend": 1.0,
    "a_score_origination": 75.0, "bad_6m_forward": np.nan,
}

PanelMaker = Callable[[Mapping[str, Sequence[Mapping[str, Any] | None]]], pd.DataFrame]


def make_panel(accounts: Mapping[str, Sequence[Mapping[str, Any] | None]],
               last_month_end: pd.Timestamp = LAST_MONTH_END) -> pd.DataFrame:
    """``{account: [overrides of the oldest month, ..., of the last month]}``; None skips a month.

    The last entry of every list is the month ending ``last_month_end``.
    """
    rows = []
    for account, months in accounts.items():
        for back, overrides in enumerate(reversed(months)):
            if overrides is None:
                continue
            date = (last_month_end - pd.offsets.MonthEnd(back)) if back else last_month_end
            rows.append({"account_id": account, "snapshot_date": date, **HEALTHY, **overrides})
    frame = pd.DataFrame(rows)[BEHAVIOR_SNAPSHOTS.names]
    return frame.astype({"snapshot_date": "datetime64[ns]", "bad_6m_forward": "Int64"})


@pytest.fixture
def panel() -> PanelMaker:
    return make_panel


class AScoreCard:
    """A stand-in B card scoring each snapshot with its ``a_score_origination`` (the feature
    ``bh_a_score``), so a test sets the B score of every account and month directly."""

    def score_frame(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["bh_a_score"].to_numpy(dtype=float)


@pytest.fixture
def b_card() -> AScoreCard:
    return AScoreCard()
