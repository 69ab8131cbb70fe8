"""What an account manager's site visit would find (seed 000 §五), for every application of a book.

The findings are drawn from the same latent state the book was made from (the truth table's
``health`` and ``integrity``, and fraud), so they carry real but noisy information the online
data lacks:

- the business's *current* turnover, relative to the revenue declared on the form: a declining
  business (low health) runs below its last year's figure, and a fraudster's declaration is
  inflated (a shell barely trades at all). Every money finding is a share of that turnover with
  its own noise: utility bills (an industry's energy and water intensity), WeChat Pay/Alipay
  receipts (its share of takings paid by phone), delivery-platform sales (restaurants and shops
  that sell there) and the peak-hour footfall (businesses with walk-in customers);
- whether the business operates at its premises (shells mostly do not);
- the manager's judgement of the owner, which reads integrity (and a little health) with noise.

The draws come from a stream of their own (the book's seed and a fixed stream number), never
from the chunks' generators: the book's tables are the same with or without the findings. The
simulator knows neither the features nor the models that will read these columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.contract import DILIGENCE_FINDINGS, INDUSTRIES
from riskmodels.contract.diligence import OWNER_ASSESSMENT
from riskmodels.synth.latent import sigmoid
from riskmodels.synth.portfolio import Portfolio
from riskmodels.synth.schema import frame

STREAM = 0xD111  # the findings' own random stream, beside the book's seed
ACCOUNT_MANAGERS = 60


def _by_industry(**values: float) -> np.ndarray:
    """One value per industry of the contract, in its order (0 for an industry not named)."""
    unknown = sorted(set(values) - set(INDUSTRIES))
    if unknown:
        raise KeyError(f"industries must be among {INDUSTRIES}; got {unknown}")
    return np.array([values.get(name, 0.0) for name in INDUSTRIES])


# Shares of monthly turnover (plausible orders of magnitude for Chinese small businesses).
ELECTRICITY = _by_industry(catering=.035, retail=.012, wholesale=.006, manufacturing=.04, technology=.008,
                           services=.015, agriculture=.02, transport=.01, construction=.008, entertainment=.03,
                           mining=.05)
WATER = _by_industry(catering=.010, retail=.002, wholesale=.001, manufacturing=.006, technology=.001, services=.004,
                     agriculture=.010, transport=.001, construction=.003, entertainment=.006, mining=.008)
E_WALLET = _by_industry(catering=.35, retail=.40, wholesale=.10, manufacturing=.03, technology=.02, services=.30,
                        agriculture=.15, transport=.10, construction=.02, entertainment=.40, mining=.01)
DELIVERY_PRESENT = _by_industry(catering=.75, retail=.35)
DELIVERY_SHARE = _by_industry(catering=.25, retail=.10)
# Walk-in businesses: the average ticket (CNY) and the peak hour's share of a day's customers.
TICKET = _by_industry(catering=60, retail=80, services=120, entertainment=150)
PEAK_HOUR_SHARE = 0.3
DAYS_OPEN = 30


def simulate_findings(portfolio: Portfolio) -> pd.DataFrame:
    """One row of findings per application of ``portfolio`` (the ``diligence_findings`` table)."""
    seed = portfolio.settings.get("seed")
    if not isinstance(seed, int):
        raise ValueError(f"portfolio.settings['seed'] must be the book's integer seed; got {seed!r}")
    apps = portfolio.applications
    truth = portfolio.truth.set_index("application_id").loc[apps["application_id"]]
    fraud = portfolio.outcomes.set_index("application_id").loc[apps["application_id"], "is_fraud"].to_numpy() == 1
    rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM]))
    n = len(apps)
    health, integrity = truth["health"].to_numpy(float), truth["integrity"].to_numpy(float)
    shell = truth["fraud_ring_id"].notna().to_numpy()
    industry = pd.Categorical(apps["industry"], categories=INDUSTRIES).codes

    # Current monthly turnover against the declaration: recent trend and activity (health),
    # honest rounding (integrity), inflated declarations (fraud), shells that barely trade.
    declared = apps["declared_annual_revenue"].to_numpy(float) / 12
    turnover = declared * np.exp(-0.05 + 0.20 * health + 0.10 * integrity + 0.15 * rng.standard_normal(n))
    turnover = np.where(fraud, turnover * rng.uniform(0.15, 0.6, n), turnover)
    turnover = np.where(shell, turnover * rng.uniform(0.02, 0.2, n), turnover)

    def share(weights: np.ndarray, noise: float) -> np.ndarray:
        return np.asarray(np.round(turnover * weights[industry] * np.exp(noise * rng.standard_normal(n)), 2), dtype=float)

    cols: dict[str, np.ndarray] = {"application_id": apps["application_id"].to_numpy(object)}
    cols["visit_date"] = (apps["application_date"].to_numpy("datetime64[D]")
                          + rng.integers(2, 15, n).astype("timedelta64[D]"))
    verified_p = np.where(shell, 0.15, np.where(fraud, 0.6, sigmoid(3.0 + 0.8 * integrity + 0.4 * health)))
    cols["site_verified"] = rng.random(n) < verified_p
    cols["electricity_bill_monthly"] = share(ELECTRICITY, 0.25)
    cols["water_bill_monthly"] = share(WATER, 0.30)
    cols["wechat_alipay_monthly"] = share(E_WALLET, 0.20)
    on_platform = rng.random(n) < DELIVERY_PRESENT[industry]
    cols["delivery_platform_monthly"] = np.where(on_platform, share(DELIVERY_SHARE, 0.25), np.nan)
    walk_in = TICKET[industry] > 0
    ticket = np.where(walk_in, TICKET[industry], 1.0)
    footfall = turnover / ticket / DAYS_OPEN * PEAK_HOUR_SHARE * np.exp(0.25 * rng.standard_normal(n))
    cols["peak_footfall_per_hour"] = np.where(walk_in, np.minimum(np.round(footfall), 10_000), np.nan)
    rating = np.round(3 + 0.6 * integrity + 0.25 * health + 0.7 * rng.standard_normal(n))
    cols["owner_assessment"] = np.clip(rating, *OWNER_ASSESSMENT).astype(np.int64)
    cols["account_manager_id"] = np.char.add("AM-", np.char.zfill(
        rng.integers(1, ACCOUNT_MANAGERS + 1, n).astype(str), 3)).astype(object)
    return frame(DILIGENCE_FINDINGS, cols)
