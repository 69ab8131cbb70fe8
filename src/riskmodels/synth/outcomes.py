"""The truth and the history: true default risk, the bank's past approval rule, what happened.

The true 12-month PD is a logistic of the latent factors, segment, co-debt, the macro cycle
and fraud, carried into the monthly chain of ``dynamics`` (which makes it exact). The
historical approval rule saw only a noisy score and the hard rules, so the booked population
is selected but still informative (reject inference has something to work with).
"""

from __future__ import annotations

from typing import cast

import numpy as np

from riskmodels.contract import REGISTRY_STATUSES
from riskmodels.synth import dynamics
from riskmodels.synth.latent import Chunk, sigmoid
from riskmodels.synth.segments import ENTITY_RISK, macro_cycle, profile_array

BASE_LOGIT = -3.6
# Points scale of the scores: 60 points at odds 40:1 good:bad, 10 points to double the odds.
POINTS_AT_ANCHOR, ANCHOR_ODDS, POINTS_TO_DOUBLE = 60.0, 40.0, 10.0


def risk_logit(chunk: Chunk) -> np.ndarray:
    h, c, cfg = chunk.hidden, chunk.cols, chunk.config
    logit: np.ndarray = (BASE_LOGIT - 1.45 * h["health"] - 0.8 * h["integrity"]
                         + profile_array("risk")[h["industry"]] + np.array(list(ENTITY_RISK.values()))[h["entity"]]
                         # Co-debt (多头共债) raises risk beyond what health explains: a causal effect.
                         + 0.16 * np.minimum(c["pb_lenders"], 10) + 0.10 * np.minimum(c["pb_inquiries_3m"], 12)
                         + 0.35 * (h["years"] < 1)
                         + macro_cycle(h["month_number"]) + cfg.macro_shift
                         + 3.0 * h["is_fraud"])
    return logit


def points(log_odds_good: np.ndarray) -> np.ndarray:
    """Score points from the log-odds good:bad, clipped to the 0-100 scale of the seeds."""
    raw = POINTS_AT_ANCHOR + POINTS_TO_DOUBLE / np.log(2) * (log_odds_good - np.log(ANCHOR_ODDS))
    return cast(np.ndarray, np.clip(np.round(raw, 1), 0.0, 100.0))  # numpy types this clip as Any


def add_outcomes(chunk: Chunk) -> None:
    """True PD, the historical decision, booking, and the fraud label."""
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    logit = risk_logit(chunk)
    start = dynamics.start_points(sigmoid(logit))
    h["start_point"] = start
    h["true_pd"] = dynamics.chain().bad_12m[start, dynamics.CURRENT]

    # The score the bank had at the time: the risk it could see (not the fraud), blurred.
    visible = logit - 3.0 * h["is_fraud"] + 0.75 * rng.standard_normal(n)
    h["a_score"] = points(-visible)

    hard_reject = (c["blacklist_hit"] | (c["registry_status"] == REGISTRY_STATUSES.index("revoked")) | (np.nan_to_num(c["eb_bad_record_3y"]) == 1)
                   | ((c["pb_max_dpd_24m"] > 60) & (rng.random(n) < 0.9))
                   | ((c["enforcements_3y"] > 0) & (rng.random(n) < 0.7)))
    # Crude velocity rules caught some of the fraud.
    velocity = (c["phone_shared_count"] >= 2) | (c["device_shared_count"] >= 2) | (c["applications_7d"] >= 4)
    caught = velocity & (rng.random(n) < 0.5)
    approve_p = sigmoid((h["a_score"] - 34.0) / 7.0) + 0.3 * c["government_risk_sharing"]
    approved = ~hard_reject & ~caught & (rng.random(n) < approve_p)
    booked = approved & (rng.random(n) < 0.92)  # some approved customers never draw
    h["booked"] = booked

    cap = np.select([h["a_score"] >= 80, h["a_score"] >= 70, h["a_score"] >= 60], [2e6, 1.5e6, 1e6], default=5e5)
    amount = np.minimum(np.minimum(c["requested_amount"], cap), 0.4 * c["declared_annual_revenue"])
    h["booked_amount"] = np.where(booked, np.maximum(np.floor(amount / 1000) * 1000, 1000.0), np.nan)


def add_counterfactual_outcome(chunk: Chunk, rng: np.random.Generator) -> None:
    """``bad_12m_if_booked``: the 12-month outcome every application would have had as a loan.

    A booked loan keeps the outcome it had; every other application runs the same monthly chain
    from its own start point, so its outcome is drawn from the same process (its probability is
    ``true_pd``). ``rng`` is a stream of its own: drawing from the chunk's generator would shift
    every draw after it, and so every other column of the book.
    """
    h = chunk.hidden
    not_booked = np.flatnonzero(~h["booked"])
    paths = dynamics.simulate(rng, h["start_point"][not_booked])
    bad = h["bad_12m"].copy()
    bad[not_booked] = paths.state[:, 12] == dynamics.DEFAULT
    h["bad_12m_if_booked"] = bad
