"""What the applicant asks for: product, amount, term, purpose, collateral, and declared revenue."""

from __future__ import annotations

import numpy as np

from riskmodels.contract import COLLATERAL_TYPES, INDUSTRIES, PRODUCTS, PURPOSES
from riskmodels.synth.latent import Chunk

TERMS = np.array([6, 9, 12, 24, 36])
# What these businesses ask for: working capital for a season or a year (the seeds' products are
# 1-year lines, "短、小、频、急、散"); an equipment purchase asks 2-3 years (below). Generator 1.1
# drew 30% at 24-36 months, which sent one application in six to a person on the term alone.
TERM_SHARES = np.array([0.15, 0.12, 0.63, 0.07, 0.03])
_MANUFACTURING = INDUSTRIES.index("manufacturing")


def add_request(chunk: Chunk) -> None:
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    industry = h["industry"]

    # Declared on the form: honest applicants round their revenue; bust-outs inflate it 3-8 times.
    declared = h["revenue"] * np.exp(0.05 + 0.1 * rng.standard_normal(n))
    declared = np.where(h["bust_out"], declared * rng.uniform(3.0, 8.0, n), declared)
    declared = np.where(h["ring"], declared * rng.uniform(1.5, 4.0, n), declared)
    c["declared_annual_revenue"] = np.maximum(np.round(declared, -4), 1e4)

    purpose_p = np.tile([0.45, 0.08, 0.12, 0.05, 0.20, 0.10], (n, 1))
    purpose_p[:, 1] += 0.10 * (industry == INDUSTRIES.index("catering"))  # renovation
    purpose_p[:, 2] += 0.25 * (industry == _MANUFACTURING)  # equipment
    purpose_p[:, 3] += 0.20 * (industry == INDUSTRIES.index("technology"))  # hiring
    purpose_p /= purpose_p.sum(axis=1, keepdims=True)
    purpose = (rng.random(n)[:, None] > np.cumsum(purpose_p, axis=1)).sum(axis=1)
    c["purpose"] = np.minimum(purpose, len(PURPOSES) - 1)
    equipment = c["purpose"] == PURPOSES.index("equipment")

    amount = c["declared_annual_revenue"] * np.exp(np.log(0.12) + 0.45 * rng.standard_normal(n))
    c["requested_amount"] = np.clip(np.round(amount, -4), 1e4, 5e6)
    term = TERMS[rng.choice(len(TERMS), size=n, p=TERM_SHARES)]
    c["requested_term_months"] = np.where(equipment, np.maximum(term, 24), term)

    # Equipment loans of manufacturers are often secured by the machine; some by the owner's home.
    u = rng.random(n)
    collateral = np.full(n, COLLATERAL_TYPES.index("none"))
    collateral[equipment & (industry == _MANUFACTURING) & (u < 0.45)] = COLLATERAL_TYPES.index("equipment")
    home = (collateral == 0) & c["owner_has_property"] & (rng.random(n) < 0.12)
    collateral[home] = COLLATERAL_TYPES.index("property")
    collateral[(collateral == 0) & (rng.random(n) < 0.06)] = COLLATERAL_TYPES.index("guarantee")
    c["collateral_type"] = collateral
    cover = np.select([collateral == 1, collateral == 2, collateral == 3],
                      [rng.uniform(1.2, 2.0, n), rng.uniform(2.0, 5.0, n), np.ones(n)], default=np.nan)
    c["collateral_value"] = np.round(c["requested_amount"] * cover, -3)
    # Government risk-sharing (政府风险补偿) mostly for farms and tech start-ups.
    favoured = np.isin(industry, [INDUSTRIES.index("agriculture"), INDUSTRIES.index("technology")])
    sharing_p = np.where(favoured, 0.12, 0.03)
    c["government_risk_sharing"] = rng.random(n) < sharing_p

    # Product: the specialised products need the data behind them.
    pos_year = np.nan_to_num(np.nansum(h["monthly_revenue"], axis=1)) * h["has_pos"]
    tax_good = np.isin(h["tax_grade"], [0, 1])
    product = np.full(n, PRODUCTS.index("general_credit"))
    product[h["has_flow"] & (rng.random(n) < 0.25)] = PRODUCTS.index("flow_loan")
    product[tax_good & (rng.random(n) < 0.35)] = PRODUCTS.index("tax_loan")
    product[(pos_year >= 3e5) & (rng.random(n) < 0.45)] = PRODUCTS.index("pos_loan")
    c["product"] = product
