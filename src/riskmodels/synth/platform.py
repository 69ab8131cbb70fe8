"""Platform data (seed 002 §三(二)): a business that sells for an e-commerce or supply-chain
platform, as 联通's agents order handsets on 沃易购, has its orders and commissions pushed to
the bank by the platform. Most applicants are no platform's agent and have none of it.

Drawn from its own random stream (``platform_rng``), so adding the source left every other
column of a book with the same seed unchanged.
"""

from __future__ import annotations

import numpy as np

from riskmodels.contract import INDUSTRIES
from riskmodels.synth.latent import Chunk, sigmoid

# Who sells for a platform: shops and distributors mostly (the seed's telecom agents).
AGENT_SHARE = np.array([0.10 if name in ("retail", "wholesale", "technology", "services") else 0.02
                        for name in INDUSTRIES])


def add_platform(chunk: Chunk, rng: np.random.Generator) -> None:
    h, c, n = chunk.hidden, chunk.cols, chunk.n
    health = h["health"]
    agent = rng.random(n) < AGENT_SHARE[h["industry"]]
    months = np.clip(np.round(h["years"] * 12 * rng.uniform(0.3, 1.0, n)), 1, 600)
    # Platform sales are a share of the business's revenue; a weaker business orders less evenly.
    orders = h["revenue"] * rng.uniform(0.15, 0.6, n) * np.exp(0.2 * rng.standard_normal(n))
    count = np.minimum(rng.poisson(np.maximum(orders, 0) / 2000.0 * np.exp(0.3 * health)), 100_000)
    gap = np.clip(np.round(6 + 60 * sigmoid(-1.2 - 1.0 * health + 0.6 * rng.standard_normal(n))), 1, 366)
    peak = np.clip(1 / 12 + 0.3 * sigmoid(-1.5 - 0.8 * health + 0.6 * rng.standard_normal(n)), 1 / 12, 1.0)
    commissions = orders * 0.04 * np.exp(0.2 * rng.standard_normal(n))
    forecast = commissions * np.exp(12 * h["slope"] + 0.15 * rng.standard_normal(n))

    def only_agents(values: np.ndarray) -> np.ndarray:
        return np.where(agent, values, np.nan)

    c["platform_agent_months"] = only_agents(months)
    c["platform_orders_12m"] = only_agents(np.round(orders, 2))
    c["platform_order_count_12m"] = only_agents(count.astype(float))
    c["platform_max_order_gap_days"] = only_agents(gap)
    c["platform_max_month_share"] = only_agents(np.round(peak, 4))
    c["platform_commissions_12m"] = only_agents(np.round(commissions, 2))
    c["platform_commission_forecast_12m"] = only_agents(np.round(forecast, 2))
