"""Settlement flow (结算流水): 12 months of account credits, debits and transactions."""

from __future__ import annotations

from riskmodels.features._arrays import Columns, Features, monthly, monthly_names, numeric, ratio

INFLOW = monthly_names("inflow")
OUTFLOW = monthly_names("outflow")
TXN_COUNT = monthly_names("txn_count")
COLUMNS = (*INFLOW, *OUTFLOW, *TXN_COUNT, "avg_daily_balance", "max_single_inflow")
RECENT_MONTHS = 3  # the "last quarter" of flow_trend_3v12
HALF_YEAR = 6  # flow_growth_6v6: the last half-year against the one before; less noisy than 3v12


def flow_features(cols: Columns) -> Features:
    inflow, outflow, txn = monthly(cols, INFLOW, OUTFLOW, TXN_COUNT)
    annual = inflow.per_year
    return {
        "flow_mean_inflow": inflow.mean,
        "flow_annual_inflow": annual,
        "flow_inflow_volatility": inflow.variation(),
        "flow_trend_3v12": ratio(inflow.recent_mean(RECENT_MONTHS), inflow.mean),
        "flow_months_no_inflow": inflow.months_where(lambda v: v == 0),
        "flow_active_months": txn.months_where(lambda v: v > 0),
        "flow_max_inflow_share": ratio(numeric(cols, "max_single_inflow"), annual),
        "flow_avg_daily_balance": numeric(cols, "avg_daily_balance"),
        # Balance held against takings: a cushion that scale alone (the balance itself) hides.
        "flow_balance_to_inflow": ratio(numeric(cols, "avg_daily_balance"), inflow.mean),
        "flow_growth_6v6": ratio(inflow.recent_mean(HALF_YEAR), inflow.older_mean(HALF_YEAR)),
        "flow_in_out_ratio": ratio(inflow.mean, outflow.mean),
        "flow_txn_count_12m": txn.per_year,
    }
