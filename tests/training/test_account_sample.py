"""A post-loan card's sample holds the raw rows it needs (the input example and the out-of-time
months the champion comparison scores), not the whole snapshot table (issue 19 §3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import table as contract_table
from riskmodels.data.splits import split_by_month
from riskmodels.training import load_config
from riskmodels.training.accounts import COLLECTION_CARD
from riskmodels.training.samples import account_sample
from riskmodels.training.scorecard import EXAMPLE_ROWS, ScorecardPipelineConfig


@pytest.fixture(scope="module")
def snapshots(portfolio_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet")


def test_the_out_of_time_rows_are_the_labelled_tables_own(snapshots: pd.DataFrame) -> None:
    cfg = load_config(ScorecardPipelineConfig, "behavior")
    sample = account_sample(snapshots, None, cfg, "behavior_snapshots", ["account_id", "snapshot_date"], "", True)
    labelled = snapshots[snapshots[cfg.target].notna()].reset_index(drop=True)
    oot = (split_by_month(sample.dates, cfg.split) == "oot").to_numpy()
    assert 0 < oot.sum() < len(labelled)
    assert len(sample.input_rows) <= oot.sum() + EXAMPLE_ROWS  # nothing beyond what registration reads
    pd.testing.assert_frame_equal(sample.inputs(oot), labelled[oot])
    pd.testing.assert_frame_equal(sample.input_example(), labelled.head(5))
    training_row = np.zeros(len(labelled), dtype=bool)
    training_row[np.flatnonzero(~oot)[-1]] = True
    with pytest.raises(ValueError, match="must be among the input rows the sample holds"):
        sample.inputs(training_row)


def test_a_b_cards_calibration_tests_count_each_accounts_earliest_snapshot_once(snapshots: pd.DataFrame) -> None:
    """Snapshots of one account share its next months: the calibration tests count one per
    account, the earliest in the rows asked about."""
    cfg = load_config(ScorecardPipelineConfig, "behavior")
    sample = account_sample(snapshots, None, cfg, "behavior_snapshots", ["account_id", "snapshot_date"], "", True,
                            contract_table("behavior_snapshots").account)
    labelled = snapshots[snapshots[cfg.target].notna()].reset_index(drop=True)
    oot = (split_by_month(sample.dates, cfg.split) == "oot").to_numpy()
    independent = sample.independent_rows(oot)
    assert independent is not None and len(independent) == oot.sum()
    rows = labelled[oot].reset_index(drop=True)
    counted = rows[independent]
    assert counted["account_id"].is_unique and set(counted["account_id"]) == set(rows["account_id"])
    earliest = rows.groupby("account_id")["snapshot_date"].min()
    assert (counted.set_index("account_id")["snapshot_date"] == earliest[counted["account_id"]]).all()
    assert len(counted) < len(rows)  # the demo book's accounts have several out-of-time months


def test_a_c_cards_calibration_tests_count_each_accounts_earliest_case_once(portfolio_dir: Path) -> None:
    """An account that falls into collection again is the same borrower: its cases count once."""
    cfg = load_config(ScorecardPipelineConfig, "collection")
    cases = pd.read_parquet(portfolio_dir / "collection_cases.parquet")
    sample = account_sample(cases, None, cfg, COLLECTION_CARD.table, list(COLLECTION_CARD.keys), "", True,
                            contract_table(COLLECTION_CARD.table).account)
    labelled = cases[cases[cfg.target].notna()].reset_index(drop=True)
    oot = (split_by_month(sample.dates, cfg.split) == "oot").to_numpy()
    independent = sample.independent_rows(oot)
    assert independent is not None
    rows = labelled[oot].reset_index(drop=True)
    counted = rows[independent]
    assert counted["account_id"].is_unique and set(counted["account_id"]) == set(rows["account_id"])
    earliest = rows.groupby("account_id")[cfg.date_column].min()
    assert (counted.set_index("account_id")[cfg.date_column] == earliest[counted["account_id"]]).all()
    assert len(counted) < len(rows)  # the demo book's accounts fall into collection more than once
    # Without an account column every row counts.
    assert account_sample(cases, None, cfg, COLLECTION_CARD.table, list(COLLECTION_CARD.keys), "",
                          True).independent_rows(oot) is None
