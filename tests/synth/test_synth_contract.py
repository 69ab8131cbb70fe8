"""Every generated table honours the data contract, and the tables agree with each other."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import APPLICATIONS, OPTIONAL_SOURCES, TABLES, Table
from riskmodels.synth import Portfolio
from riskmodels.synth.schema import BEHAVIOR_TRUTH, COLLECTION_TRUTH

Check = Callable[[pd.DataFrame, Table], None]


@pytest.mark.parametrize("name", [*TABLES, "behavior_truth", "collection_truth"])
def test_every_table_matches_its_schema(portfolio: Portfolio, contract_check: Check, name: str) -> None:
    schema = {**TABLES, "behavior_truth": BEHAVIOR_TRUTH, "collection_truth": COLLECTION_TRUTH}[name]
    df = getattr(portfolio, name)
    assert len(df) > 0
    contract_check(df, schema)


@pytest.mark.parametrize("source", OPTIONAL_SOURCES)
def test_a_missing_source_is_all_null_and_occurs(portfolio: Portfolio, source: str) -> None:
    columns = [c.name for c in APPLICATIONS.by_source(source)]
    nulls = portfolio.applications[columns].isna()
    # Row by row: either every column of the source is there or none is.
    assert (nulls.all(axis=1) | ~nulls.any(axis=1)).all()
    share_missing = nulls.all(axis=1).mean()
    assert 0.02 < share_missing < 0.95


def test_outcomes_follow_booking(portfolio: Portfolio) -> None:
    o = portfolio.outcomes
    assert (o["application_id"] == portfolio.applications["application_id"]).all()
    assert (o["application_id"] == portfolio.truth["application_id"]).all()
    for column in ("booked_amount", "bad_12m", "fpd"):
        assert (o[column].notna() == o["booked"]).all(), column
    assert (o.loc[o["booked"], "booked_amount"] <= portfolio.applications.loc[o["booked"], "requested_amount"]).all()


def test_snapshots_and_cases_belong_to_booked_loans(portfolio: Portfolio) -> None:
    booked = set(portfolio.outcomes.loc[portfolio.outcomes["booked"], "application_id"])
    snapshots, cases = portfolio.behavior_snapshots, portfolio.collection_cases
    assert set(snapshots["account_id"]) <= booked
    assert set(cases["account_id"]) <= booked
    assert snapshots.groupby("account_id").size().max() <= 12  # the documented cap
    # The label is defined for accounts under 90 DPD only.
    assert snapshots.loc[snapshots["dpd"] >= 90, "bad_6m_forward"].isna().all()
    assert (snapshots["worst_dpd_6m"] >= snapshots["worst_dpd_3m"]).all()
    assert (snapshots["worst_dpd_3m"] >= snapshots["dpd"]).all()
    assert (cases["promises_kept_6m"] <= cases["promises_made_6m"]).all()
    bucket_low = cases["dpd_bucket"].str.split("-|\\+").str[0].astype(int)
    assert (cases["dpd"] >= bucket_low).all()
    keys = ["account_id", "snapshot_date"]
    assert (portfolio.behavior_truth[keys].to_numpy() == snapshots[keys].to_numpy()).all()
    assert (portfolio.collection_truth["case_id"].to_numpy() == cases["case_id"].to_numpy()).all()


def test_bad_12m_agrees_with_the_snapshots(portfolio: Portfolio) -> None:
    """A loan is bad within 12 months exactly when a snapshot shows it at 90+ DPD."""
    snapshots = portfolio.behavior_snapshots
    reached_90 = set(snapshots.loc[snapshots["dpd"] >= 90, "account_id"])
    o = portfolio.outcomes[portfolio.outcomes["booked"]]
    assert set(o.loc[o["bad_12m"] == 1, "application_id"]) == reached_90


def test_application_dates_lie_in_the_window(portfolio: Portfolio) -> None:
    dates = portfolio.applications["application_date"]
    assert dates.min() >= pd.Timestamp("2023-01-01")
    assert dates.max() < pd.Timestamp("2025-01-01")
    assert dates.dt.to_period("M").nunique() == 24
    assert np.all(portfolio.behavior_snapshots["snapshot_date"].dt.is_month_end)
