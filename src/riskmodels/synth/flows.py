"""Twelve months of money: the business's revenue, its settlement account, its POS terminal.

Column ``m01`` is the most recent full month before the application month, ``m12`` the oldest.
"""

from __future__ import annotations

import numpy as np

from riskmodels.contract import INDUSTRIES, MONTHS
from riskmodels.synth.latent import Chunk, sigmoid
from riskmodels.synth.segments import profile_array, seasonality

LAGS = np.arange(1, MONTHS + 1)


def _wide(c: dict[str, np.ndarray], prefix: str, values: np.ndarray) -> None:
    for m in LAGS:
        c[f"{prefix}_m{m:02d}"] = values[:, m - 1]


def add_revenue(chunk: Chunk) -> None:
    """The true monthly revenue: scale, seasonality, trend, and noise that grows with weakness."""
    rng, n, h = chunk.rng, chunk.n, chunk.hidden
    health, industry = h["health"], h["industry"]
    month_of_lag = h["month_number"][:, None] - LAGS[None, :]
    season = seasonality(month_of_lag, industry[:, None])
    # Weak businesses decline (negative slope), strong ones grow; lag m is m months back.
    slope = 0.004 + 0.025 * health
    trend = np.exp(-slope[:, None] * (LAGS[None, :] - 6.5))
    volatility = profile_array("volatility")[industry] * np.exp(-0.3 * health)
    noise = np.exp(volatility[:, None] * rng.standard_normal((n, MONTHS)) - volatility[:, None] ** 2 / 2)
    h["monthly_revenue"] = h["revenue"][:, None] / 12 * season * trend * noise
    h["slope"] = slope


def add_settlement_flow(chunk: Chunk) -> None:
    """Account inflow/outflow, transaction counts, balance; all null without 12 months of account."""
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    health, industry = h["health"], h["industry"]
    present = c["account_tenure_months"] >= MONTHS
    h["has_flow"] = present
    # Share of the business's takings that goes through this bank's account.
    account_share = rng.beta(8.0, 1.5, n)
    account_share = np.where(h["bust_out"], account_share * 0.4, account_share)
    inflow = h["monthly_revenue"] * account_share[:, None]
    # Weak businesses (and lumpy trades) have months without any flow.
    lumpy = np.isin(industry, [INDUSTRIES.index("technology"), INDUSTRIES.index("construction")]) * 0.03
    no_flow = rng.random((n, MONTHS)) < (sigmoid(-5.5 - 1.5 * health) + lumpy)[:, None]
    inflow = np.where(no_flow, 0.0, inflow)
    margin = np.clip(0.93 - 0.05 * health + 0.02 * rng.standard_normal(n), 0.75, 1.15)
    fixed_costs = 0.15 * h["monthly_revenue"]
    outflow = np.where(no_flow, fixed_costs, inflow * margin[:, None] * np.exp(0.08 * rng.standard_normal((n, MONTHS))))
    ticket = profile_array("flow_ticket")[industry][:, None]
    txn = rng.poisson(inflow / ticket + 0.8 * outflow / ticket + 2.0)

    nan = np.where(present[:, None], 1.0, np.nan)
    _wide(c, "inflow", np.round(inflow, 2) * nan)
    _wide(c, "outflow", np.round(outflow, 2) * nan)
    _wide(c, "txn_count", txn * nan)
    balance_share = np.exp(np.log(0.12) + 0.4 * health + 0.2 * rng.standard_normal(n))
    mean_inflow = inflow.mean(axis=1)
    h["balance_share"] = balance_share
    c["avg_daily_balance"] = np.where(present, np.round(mean_inflow * balance_share, 2), np.nan)
    largest = inflow.max(axis=1) * rng.beta(2.0, 5.0, n)
    # Bust-outs cycle borrowed money through the account (资金过桥): one unusually large credit.
    largest = np.where(h["bust_out"], inflow.sum(axis=1) * rng.uniform(0.5, 2.0, n), largest)
    c["max_single_inflow"] = np.where(present, np.round(largest, 2), np.nan)
    h["inflow_mean"] = np.where(present, mean_inflow, np.nan)


def add_pos(chunk: Chunk) -> None:
    """POS acquiring: mostly shops and restaurants; gaps for weak businesses; null when no terminal."""
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    health, industry = h["health"], h["industry"]
    base = profile_array("pos_presence")[industry]
    # Healthier businesses more often have a terminal: missing POS is (a little) informative.
    present = rng.random(n) < sigmoid(np.log(base / (1 - base)) + 0.3 * health)
    h["has_pos"] = present
    volume = h["monthly_revenue"] * profile_array("pos_share")[industry][:, None] * np.exp(
        0.1 * rng.standard_normal((n, MONTHS)))
    gap = rng.random((n, MONTHS)) < sigmoid(-4.0 - 1.6 * health)[:, None]
    volume = np.where(gap, 0.0, volume)
    count = rng.poisson(volume / profile_array("pos_ticket")[industry][:, None])
    nan = np.where(present[:, None], 1.0, np.nan)
    _wide(c, "pos_volume", np.round(volume, 2) * nan)
    _wide(c, "pos_count", count * nan)
    tenure = np.ceil(rng.random(n) * np.minimum(h["years"] * 12, 120))
    c["pos_tenure_months"] = np.where(present, np.maximum(tenure, 1), np.nan)
    h["pos_mean"] = np.where(present, volume.mean(axis=1), np.nan)
