"""The realism targets of the simulator, measured on the shared portfolio (20,000 applications)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from riskmodels.synth import Portfolio

# The targets the simulator is specified to meet.
DEFAULT_RATE = (0.02, 0.08)
FRAUD_RATE = (0.003, 0.02)
BOOKED_SHARE = (0.55, 0.75)
ORACLE_AUC = (0.78, 0.90)
FRAUD_ORACLE_AUC = 0.90


def _booked(portfolio: Portfolio) -> tuple[pd.Series, pd.Series]:
    booked = portfolio.outcomes["booked"]
    return portfolio.outcomes.loc[booked, "bad_12m"].astype(int), portfolio.truth.loc[booked, "true_pd"]


def _calibrated(outcome: pd.Series, probability: pd.Series) -> bool:
    """Observed rate within 4 standard errors of the mean true probability."""
    p = probability.to_numpy(dtype=float)
    se = np.sqrt((p * (1 - p)).sum()) / len(p)
    return abs(outcome.to_numpy(dtype=float).mean() - p.mean()) < 4 * se


def test_rates_are_in_their_target_ranges(portfolio: Portfolio) -> None:
    bad, _ = _booked(portfolio)
    assert DEFAULT_RATE[0] <= bad.mean() <= DEFAULT_RATE[1]
    assert FRAUD_RATE[0] <= portfolio.outcomes["is_fraud"].mean() <= FRAUD_RATE[1]
    assert BOOKED_SHARE[0] <= portfolio.outcomes["booked"].mean() <= BOOKED_SHARE[1]


def test_oracle_aucs_are_in_their_target_ranges(portfolio: Portfolio) -> None:
    bad, true_pd = _booked(portfolio)
    assert ORACLE_AUC[0] <= roc_auc_score(bad, true_pd) <= ORACLE_AUC[1]
    assert roc_auc_score(portfolio.outcomes["is_fraud"], portfolio.truth["true_fraud_prob"]) >= FRAUD_ORACLE_AUC


def test_the_true_probabilities_are_calibrated(portfolio: Portfolio) -> None:
    bad, true_pd = _booked(portfolio)
    assert _calibrated(bad, true_pd)
    assert _calibrated(portfolio.outcomes["is_fraud"], portfolio.truth["true_fraud_prob"])
    snapshots = portfolio.behavior_snapshots
    labelled = snapshots["bad_6m_forward"].notna()
    assert _calibrated(snapshots.loc[labelled, "bad_6m_forward"],
                       portfolio.behavior_truth.loc[labelled, "true_bad_6m_prob"])
    assert _calibrated(portfolio.collection_cases["cured_30d"], portfolio.collection_truth["true_cure_prob"])


def test_default_rates_vary_by_segment(portfolio: Portfolio) -> None:
    pd_by = portfolio.truth["true_pd"].groupby(portfolio.applications["industry"]).mean()
    assert pd_by["agriculture"] > pd_by["manufacturing"] * 1.2  # farming is the riskier trade
    by_entity = portfolio.truth["true_pd"].groupby(portfolio.applications["entity_type"]).mean()
    assert by_entity["individual_business"] > by_entity["small"]


def test_fraudsters_default_far_more_when_booked(portfolio: Portfolio) -> None:
    o = portfolio.outcomes[portfolio.outcomes["booked"]]
    fraud_rate = o.loc[o["is_fraud"] == 1, "bad_12m"].astype(float).mean()
    honest_rate = o.loc[o["is_fraud"] == 0, "bad_12m"].astype(float).mean()
    assert fraud_rate > 3 * honest_rate


def test_the_historical_rule_rejected_the_riskier(portfolio: Portfolio) -> None:
    true_pd = portfolio.truth["true_pd"]
    booked = portfolio.outcomes["booked"]
    assert true_pd[~booked].mean() > 1.5 * true_pd[booked].mean()
    # ... but not perfectly: rejected applications span the whole risk range.
    assert (true_pd[~booked] < true_pd[booked].median()).mean() > 0.05
