"""Back-testing a B or C card counts each account once in its calibration and class tests, as
the run's own evaluation did: an account's monthly snapshots (or its collection cases) share its
fortunes, and counting each of them makes the tests too sure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from riskmodels.evaluation.calibration import hosmer_lemeshow
from riskmodels.monitoring.drift.backtest import backtest
from riskmodels.monitoring.drift.data import Sample, ScoredSample, load_sample
from riskmodels.monitoring.drift.thresholds import load_thresholds
from riskmodels.policy.risk_classes import RiskBands

ACCOUNTS, MONTHS = 2_000, 4


def _snapshots(name: str, seed: int, account_column: str | None) -> ScoredSample:
    """Each account's months share its outcome; the rows are shuffled, so the earliest month of
    an account is found by its date, not its place."""
    rng = np.random.default_rng(seed)
    log_odds = rng.normal(-2.5, 1.0, ACCOUNTS)
    bad = (rng.random(ACCOUNTS) < expit(log_odds)).astype(float)
    months = pd.date_range("2025-01-31", periods=MONTHS, freq="ME")
    rows = pd.DataFrame({"account_id": np.repeat([f"L{i:05d}" for i in range(ACCOUNTS)], MONTHS),
                         "snapshot_date": np.tile(months, ACCOUNTS)}).sample(frac=1.0, random_state=seed)
    account = rows["account_id"].str[1:].astype(int).to_numpy()
    pd_ = expit(log_odds[account]) * rng.uniform(0.98, 1.02, len(rows))
    score = 100 - 200 * pd_
    sample = Sample(name, "test", rows.reset_index(drop=True), bad[account], rows["snapshot_date"].reset_index(drop=True),
                    "snapshot_date", account_column)
    return ScoredSample(sample, pd.DataFrame(index=rows.index), score, pd_,
                        RiskBands.default().assign(score), score)


def test_the_calibration_and_class_tests_count_each_accounts_earliest_row() -> None:
    current = _snapshots("current", 1, "account_id")
    result, checks, _ = backtest(_snapshots("baseline", 2, "account_id"), current, RiskBands.default(),
                                 load_thresholds(), {})
    assert result is not None
    e = result.details["current"]
    rows = current.sample.rows
    first = (rows["snapshot_date"] == rows.groupby("account_id")["snapshot_date"].transform("min")).to_numpy()
    assert e.calibration_rows == first.sum() == ACCOUNTS and e.n == ACCOUNTS * MONTHS
    y, pd_ = current.sample.outcome, current.pd
    assert e.hosmer_lemeshow.p_value == hosmer_lemeshow(y[first], pd_[first], external=True).p_value
    assert int(e.jeffreys.table["n"].sum()) == ACCOUNTS
    detail = {c.name: c.detail for c in checks}
    for name in ("backtest.hosmer_lemeshow", "backtest.jeffreys", "backtest.binomial"):
        assert f"one row per account: {ACCOUNTS:,} of {ACCOUNTS * MONTHS:,} rows" in detail[name]


def test_a_table_of_independent_rows_counts_every_row() -> None:
    result, checks, _ = backtest(_snapshots("baseline", 2, None), _snapshots("current", 1, None), RiskBands.default(),
                                 load_thresholds(), {})
    assert result is not None and result.details["current"].calibration_rows is None
    assert int(result.details["current"].jeffreys.table["n"].sum()) == ACCOUNTS * MONTHS
    assert all("per account" not in c.detail for c in checks)


def test_a_sample_read_from_disk_takes_its_account_column_from_the_contract(portfolio_dir: Path) -> None:
    assert load_sample("current", portfolio_dir, "behavior_snapshots", None, "snapshot_date").account_column == "account_id"
    assert load_sample("current", portfolio_dir, "collection_cases", None, "case_date").account_column == "account_id"
    assert load_sample("current", portfolio_dir, "applications", None, "application_date").account_column is None
