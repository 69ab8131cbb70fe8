"""Development samples: the rows each model is fitted and judged on, with the simulator's truth
when there is one (the oracle every metric is compared with)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from riskmodels.data.splits import split_by_month
from riskmodels.features import build_features
from riskmodels.links import in_place_frame
from riskmodels.models.specs import feature_builder
from riskmodels.training.scorecard import EXAMPLE_ROWS, ScorecardPipelineConfig, ScorecardSample

COUNTERFACTUAL = "bad_12m_if_booked"  # the truth's outcome of every application had it been booked


def release_read_buffers() -> None:
    """Hand back to the system the memory Arrow freed after the tables were read: reading Parquet
    into pandas goes through Arrow buffers, and Arrow's allocator (mimalloc) keeps the freed ones
    for reuse by Arrow alone, so the process would carry them to the end of the run (1.5 GB of a
    million-application book's 7M snapshots, as large as the table itself)."""
    pa.default_memory_pool().release_unused()


def _truth_of(rows: pd.DataFrame, truth: pd.DataFrame | None, keys: list[str], column: str) -> pd.Series | None:
    """The truth's ``column`` aligned with ``rows`` (NaN where it has no row)."""
    if truth is None:
        return None
    return rows[keys].merge(truth[[*keys, column]], on=keys, how="left")[column]


# The calendar the application samples (the A card's booked rows, the fraud model's) are split on.
APPLICATION_DATE = "application_date"


def booked_sample(applications: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None,
                  target: str) -> ScorecardSample:
    """Booked applications with an observed outcome: the A card's development population."""
    joined = applications.merge(outcomes[["application_id", target]], on="application_id", how="inner",
                                validate="one_to_one")
    joined = joined[joined[target].notna()].reset_index(drop=True)
    oracle = _truth_of(joined, truth, ["application_id"], "true_pd")
    raw = joined[applications.columns]
    return ScorecardSample(features=build_features(raw), event=joined[target].to_numpy(dtype=int),
                           dates=joined[APPLICATION_DATE], input_rows=raw,
                           oracle_pd=None if oracle is None else oracle.to_numpy())


def fraud_sample(applications: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None,
                 target: str) -> ScorecardSample:
    """Every application with its fraud label (fraud is known whether or not the loan was booked),
    its link and velocity counts in place as scoring puts them (``links.in_place_frame``)."""
    joined = applications.merge(outcomes[["application_id", target]], on="application_id",
                                validate="one_to_one")
    oracle = _truth_of(joined, truth, ["application_id"], "true_fraud_prob")
    # The link and velocity counts as the service computes them (riskmodels.links), from the
    # book's own identifiers, point-in-time: the model learns the values it will be given.
    raw = in_place_frame(joined[applications.columns])
    return ScorecardSample(build_features(raw), joined[target].to_numpy(dtype=int), joined[APPLICATION_DATE],
                           raw, None if oracle is None else oracle.to_numpy())


def account_sample(rows: pd.DataFrame, truth: pd.DataFrame | None, cfg: ScorecardPipelineConfig, table: str,
                   keys: list[str], truth_column: str, truth_is_event: bool,
                   account: str | None = None) -> ScorecardSample:
    """Labelled rows of a B or C card's table (snapshots, collection cases). The bad event is
    ``target == cfg.event_value``; the truth holds the probability of the event
    (``truth_is_event``) or of its opposite (the C card's cure). ``account``: the column naming
    the account of each row, when an account has several rows (its monthly snapshots, its
    collection cases), which are then not independent draws for the calibration tests."""
    labelled = rows[rows[cfg.target].notna()].reset_index(drop=True)
    oracle = None
    p = _truth_of(labelled, truth, keys, truth_column)
    if p is not None:
        oracle = p.to_numpy() if truth_is_event else 1.0 - p.to_numpy()
    # The raw rows are kept for the model's input example and the out-of-time comparison only.
    out_of_time = (split_by_month(labelled[cfg.date_column], cfg.split) == "oot").to_numpy()
    held = np.union1d(np.arange(min(EXAMPLE_ROWS, len(labelled))), np.flatnonzero(out_of_time))
    accounts = None if account is None else labelled[account].to_numpy()
    return ScorecardSample(features=feature_builder(table)(labelled),
                           event=(labelled[cfg.target].to_numpy(dtype=int) == cfg.event_value).astype(int),
                           dates=labelled[cfg.date_column], input_rows=labelled.iloc[held], oracle_pd=oracle,
                           input_positions=held, accounts=accounts)


@dataclass(frozen=True)
class ThroughTheDoor:
    """Every application, booked or not, with its features: the population the A card scores and
    the rejects reject inference reads. The truth (simulated data) is for measuring only."""

    features: pd.DataFrame
    dates: pd.Series
    booked: np.ndarray  # True: booked with an observed outcome (the A card's development rows)
    true_pd: np.ndarray | None = None  # the simulator's true PD
    bad_if_booked: np.ndarray | None = None  # the outcome had the loan been booked (generator 1.2 on)

    def __post_init__(self) -> None:
        n = len(self.features)
        for name in ("dates", "booked", "true_pd", "bad_if_booked"):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ValueError(f"{name} must have {n} rows, one per application; got {len(values)}")


def through_the_door_sample(applications: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None,
                            target: str) -> ThroughTheDoor:
    """Every application with its features; ``booked`` marks the rows ``booked_sample`` keeps
    (an observed ``target``). The truth's counterfactual outcome is read when the truth has it."""
    joined = applications.merge(outcomes[["application_id", target]], on="application_id", how="left",
                                validate="one_to_one")
    true_pd = _truth_of(joined, truth, ["application_id"], "true_pd")
    bad = (_truth_of(joined, truth, ["application_id"], COUNTERFACTUAL)
           if truth is not None and COUNTERFACTUAL in truth.columns else None)
    return ThroughTheDoor(build_features(joined[applications.columns]), joined["application_date"],
                          joined[target].notna().to_numpy(),
                          None if true_pd is None else true_pd.to_numpy(dtype=float),
                          None if bad is None else bad.to_numpy(dtype=np.int64))
