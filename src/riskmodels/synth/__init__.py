"""The portfolio simulator: a realistic small-business loan book for every model, test and demo.

    from riskmodels.synth import generate_portfolio, write_portfolio, read_portfolio
    portfolio = generate_portfolio(50_000, seed=7)
    write_portfolio(portfolio, "data/synthetic")
"""

from __future__ import annotations

from riskmodels.synth.diligence import simulate_findings
from riskmodels.synth.io import read_portfolio, write_portfolio
from riskmodels.synth.portfolio import GENERATOR_VERSION, Portfolio, generate_portfolio
from riskmodels.synth.reference import reference_applications, reference_bodies

__all__ = ["GENERATOR_VERSION", "Portfolio", "generate_portfolio", "read_portfolio", "reference_applications", "reference_bodies",
           "simulate_findings", "write_portfolio"]
