"""A post-loan card's sample holds the raw rows it needs (the input example and the out-of-time
months the champion comparison scores), not the whole snapshot table (issue 19 §3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodels.data.splits import split_by_month
from riskmodels.training import load_config
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


def test_a_b_cards_calibration_tests_count_each_accounts_earliest_snapshot_once(snapshots: pd.DataFrame,
                                                                               portfolio_dir: Path) -> None:
    """Snapshots of one account share its next months: Hosmer-Lemeshow counts one per account, the
    earliest in the rows asked about. A C card's collection cases count every row."""
    cfg = load_config(ScorecardPipelineConfig, "behavior")
    sample = account_sample(snapshots, None, cfg, "behavior_snapshots", ["account_id", "snapshot_date"], "", True)
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

    collection = load_config(ScorecardPipelineConfig, "collection")
    cases = account_sample(pd.read_parquet(portfolio_dir / "collection_cases.parquet"), None, collection,
                           "collection_cases", ["case_id"], "", True)
    assert cases.independent_rows(np.ones(len(cases.event), dtype=bool)) is None
