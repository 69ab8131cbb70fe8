"""The simulator's requests and the products' terms agree (issue 14 §2): what these businesses
ask for is mostly what the seeds' products lend; only equipment purchases ask for years."""

from __future__ import annotations

from riskmodels.contract import PRODUCTS
from riskmodels.policy import load_policy
from riskmodels.synth import generate_portfolio
from riskmodels.synth.request import TERM_SHARES, TERMS


def test_the_requested_terms_fit_the_products_but_for_equipment() -> None:
    policy = load_policy()
    apps = generate_portfolio(5_000, 3).applications
    max_term = {p: getattr(policy.products, p).max_term_months for p in PRODUCTS}
    longer = apps["requested_term_months"] > apps["product"].map(max_term)
    equipment = apps["purpose"] == "equipment"
    # Working capital, inventory, renovation, hiring: a term past the product's is the exception,
    # at most the share of requests the simulator draws above a year (fewer: the POS loan lends up to 2 years).
    assert longer[~equipment].mean() <= TERM_SHARES[TERMS > 12].sum() < 0.15
    # An equipment purchase asks for two or three years, past these 1-year lines: a person's call.
    assert (apps.loc[equipment, "requested_term_months"] >= 24).all() and longer[equipment].mean() > 0.5
    # The POS loan is drawn in instalments of up to 24 months (ICBC 逸贷, seed 002 §二(二)).
    assert max_term["pos_loan"] == 24 and max_term["general_credit"] == 12
