"""Collection cases (the C card's data): one per delinquency stage an account enters.

A case opens at the month end an account enters 1-29, 30-59 or 60-89 days past due (90+ is
default and goes to recovery, outside this table). ``cured_30d`` is whether the account is
current again at the next month end, drawn by the chain, so ``true_cure_prob`` is exact.
Contact behaviour (calls answered, promises kept) reflects the owner's integrity and the
business's health at the time, which is what a cure model can learn and an ordering by
amount, grade and industry cannot.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from riskmodels.synth import dynamics
from riskmodels.synth.behavior import SNAPSHOT_MONTHS, LoanMonths
from riskmodels.synth.dynamics import CURRENT, DEFAULT, DPD_1_29
from riskmodels.synth.latent import Chunk, sigmoid

# The bank's B-score line (training/configs/behavior.yaml ``scale``): 60 points at odds 20:1
# good:bad, 5 points to double the odds, clipped to 0-100. ``latest_b_score`` stands in for the
# bank's latest B score, which the post-loan policy grades with the B card's classes, so it sits
# on the B card's line (not on the A-score stand-in's, ``outcomes.points``).
B_POINTS_AT_ANCHOR, B_ANCHOR_ODDS, B_POINTS_TO_DOUBLE = 60.0, 20.0, 5.0


def b_score_points(log_odds_good: np.ndarray) -> np.ndarray:
    """B-score points of the log-odds good:bad (6 months), rounded to 0.1 and clipped to 0-100."""
    raw = B_POINTS_AT_ANCHOR + B_POINTS_TO_DOUBLE / np.log(2) * (log_odds_good - np.log(B_ANCHOR_ODDS))
    return cast(np.ndarray, np.clip(np.round(raw, 1), 0.0, 100.0))  # numpy types this clip as Any


def cases(chunk: Chunk, loans: LoanMonths) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Case columns (with ``row``, the chunk row) and each case's true cure probability."""
    rng, h = chunk.rng, chunk.hidden
    state, point = loans.paths.state, loans.paths.grid_point
    n, months = state.shape
    month = np.arange(months)[None, :]
    previous = np.concatenate([np.zeros((n, 1), dtype=state.dtype), state[:, :-1]], axis=1)
    entered = (state > previous) & (state > CURRENT) & (state < DEFAULT)
    # Only cases whose next month end is inside the data carry a label.
    labelled = (month >= 1) & (month <= SNAPSHOT_MONTHS) & (month + 1 <= loans.observed_until[:, None])
    episodes_so_far = np.cumsum((state == DPD_1_29) & (previous == CURRENT), axis=1)
    loan, t = np.nonzero(entered & labelled)
    row = loans.rows[loan]
    k = len(loan)

    stage, health, integrity = state[loan, t], loans.health[loan, t], h["integrity"][row]
    fraud = h["is_fraud"][row]
    answered = sigmoid(0.6 + 0.9 * integrity + 0.4 * health + 0.6 * rng.standard_normal(k)) * np.where(fraud, 0.3, 1.0)
    never_called = rng.random(k) < 0.1  # no call placed yet, or no working number
    made = np.minimum(rng.poisson(np.exp(-0.3 + 0.35 * (stage - 1) + 0.3 * (episodes_so_far[loan, t] - 1))), 50)
    kept = rng.binomial(made, sigmoid(0.3 + 1.0 * integrity + 0.5 * health))

    bad_6m = np.clip(dynamics.chain().bad_6m[point[loan, t], stage], 1e-6, 1 - 1e-6)
    b_score = b_score_points(-(np.log(bad_6m / (1 - bad_6m)) + 0.5 * rng.standard_normal(k)))
    cols = {
        "row": row,
        "case_number": t,
        "case_month": h["month_number"][row] + t,
        "industry": h["industry"][row],
        "dpd": loans.dpd[loan, t],
        "dpd_bucket": stage - 1,
        "balance": loans.balance[loan, t],
        "limit_amount": h["booked_amount"][row],
        "previous_delinquencies_12m": np.minimum(episodes_so_far[loan, t] - 1, 12),
        "contact_success_rate": np.where(never_called, np.nan, np.round(answered, 2)),
        "promises_made_6m": made,
        "promises_kept_6m": kept,
        "inflow_last_month": loans.inflow[loan, t],
        "inflow_baseline": loans.inflow_baseline[loan],
        "latest_b_score": b_score,
        "cured_30d": (state[loan, t + 1] == CURRENT).astype(np.int64),
    }
    truth = dynamics.chain().cure[point[loan, t], stage]
    return cols, truth
