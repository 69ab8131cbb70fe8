"""Development samples: the rows each model is fitted and judged on, with the simulator's truth
when there is one (the oracle every metric is compared with)."""

from __future__ import annotations

import pandas as pd

from riskmodels.features import build_features
from riskmodels.models.specs import feature_builder
from riskmodels.training.scorecard import ScorecardPipelineConfig, ScorecardSample


def _truth_of(rows: pd.DataFrame, truth: pd.DataFrame | None, keys: list[str], column: str) -> pd.Series | None:
    """The truth's ``column`` aligned with ``rows`` (NaN where it has no row)."""
    if truth is None:
        return None
    return rows[keys].merge(truth[[*keys, column]], on=keys, how="left")[column]


def booked_sample(applications: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None,
                  target: str) -> ScorecardSample:
    """Booked applications with an observed outcome: the A card's development population."""
    joined = applications.merge(outcomes[["application_id", target]], on="application_id", how="inner",
                                validate="one_to_one")
    joined = joined[joined[target].notna()].reset_index(drop=True)
    oracle = _truth_of(joined, truth, ["application_id"], "true_pd")
    raw = joined[applications.columns]
    return ScorecardSample(features=build_features(raw), event=joined[target].to_numpy(dtype=int),
                           dates=joined["application_date"], input_rows=raw,
                           oracle_pd=None if oracle is None else oracle.to_numpy())


def fraud_sample(applications: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None,
                 target: str) -> ScorecardSample:
    """Every application with its fraud label (fraud is known whether or not the loan was booked)."""
    joined = applications.merge(outcomes[["application_id", target]], on="application_id",
                                validate="one_to_one")
    oracle = _truth_of(joined, truth, ["application_id"], "true_fraud_prob")
    raw = joined[applications.columns]
    return ScorecardSample(build_features(raw), joined[target].to_numpy(dtype=int), joined["application_date"],
                           raw, None if oracle is None else oracle.to_numpy())


def account_sample(rows: pd.DataFrame, truth: pd.DataFrame | None, cfg: ScorecardPipelineConfig, table: str,
                   keys: list[str], truth_column: str, truth_is_event: bool) -> ScorecardSample:
    """Labelled rows of a B or C card's table (snapshots, collection cases). The bad event is
    ``target == cfg.event_value``; the truth holds the probability of the event
    (``truth_is_event``) or of its opposite (the C card's cure)."""
    labelled = rows[rows[cfg.target].notna()].reset_index(drop=True)
    oracle = None
    p = _truth_of(labelled, truth, keys, truth_column)
    if p is not None:
        oracle = p.to_numpy() if truth_is_event else 1.0 - p.to_numpy()
    return ScorecardSample(features=feature_builder(table)(labelled),
                           event=(labelled[cfg.target].to_numpy(dtype=int) == cfg.event_value).astype(int),
                           dates=labelled[cfg.date_column], input_rows=labelled, oracle_pd=oracle)
