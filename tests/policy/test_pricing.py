"""Risk-based rate (DOMAIN.md §6): the arithmetic, floor, cap, step, and the seeds' multipliers."""

from __future__ import annotations

import pytest

from riskmodels.policy.pricing import quote_rate


def rate_for(policy, cls: str = "B", applicant_pd: float = 0.02):
    return quote_rate(next(c for c in policy.classes if c.name == cls), applicant_pd, policy)


def test_components_sum_to_the_rate_before_rounding(policy) -> None:
    quote = rate_for(policy, "B")  # class PD 1.5%
    assert quote.components == pytest.approx({"funding_cost": 3.0, "operating_cost": 0.25,
                                              "expected_loss": 100 * 0.015 * 0.45, "capital_cost": 0.06 * 8.0,
                                              "margin": 0.10})
    assert sum(quote.components.values()) == pytest.approx(quote.unrounded_pct)
    assert (quote.unrounded_pct, quote.rate_pct) == (pytest.approx(4.505), 4.5)  # the seed's 4.5% for class B
    assert (quote.pd, quote.pd_source, quote.lgd, quote.bound) == (0.015, "class", 0.45, None)


def test_the_rate_rises_with_the_class(policy) -> None:
    rates = [rate_for(policy, c).rate_pct for c in "ABCD"]
    assert rates == sorted(rates) and rates[0] < rates[-1]


def test_applicant_pd_when_asked_for_or_when_the_class_has_none(policy, tuned) -> None:
    by_applicant = rate_for(tuned(**{"pricing.pd_source": "applicant"}), "B", applicant_pd=0.03)
    assert (by_applicant.pd, by_applicant.pd_source) == (0.03, "applicant")
    uncalibrated = tuned(**{"classes.1.pd": None})
    assert rate_for(uncalibrated, "B", applicant_pd=0.025).pd_source == "applicant"
    overridden = rate_for(tuned(**{"classes.1.pd_override": 0.05}), "B")
    assert (overridden.pd, overridden.pd_source) == (0.05, "class")


def test_floor_and_cap(tuned) -> None:
    cheap = rate_for(tuned(**{"pricing.funding_cost_pct": 1.0}), "A")  # 1 + .25 + .27 + .48 + .1 = 2.1
    assert (cheap.rate_pct, cheap.bound) == (3.5, "floor") and cheap.unrounded_pct == pytest.approx(2.1)
    dear = rate_for(tuned(**{"classes.3.pd_override": 0.4}), "D")  # 18% expected loss alone
    assert (dear.rate_pct, dear.bound) == (12.0, "cap")


@pytest.mark.parametrize(("margin", "nearest", "up"), [
    (0.10, 4.5, 4.55),   # 4.505
    (0.125, 4.55, 4.55),  # 4.530
    (0.07, 4.5, 4.5),    # 4.475: half a step rounds up
    (0.095, 4.5, 4.5),   # 4.500: on the step either way
])
def test_rounding_to_the_step(tuned, margin: float, nearest: float, up: float) -> None:
    assert rate_for(tuned(**{"pricing.margin_pct": margin}), "B").rate_pct == nearest
    assert rate_for(tuned(**{"pricing.margin_pct": margin, "pricing.rounding": "up"}), "B").rate_pct == up
    assert rate_for(tuned(**{"pricing.margin_pct": margin, "pricing.step_pct": 0.25}), "B").rate_pct == 4.5


def test_flat_capital_cost(tuned) -> None:
    quote = rate_for(tuned(**{"pricing.flat_capital_cost_pct": 0.8}), "B")
    assert quote.components["capital_cost"] == 0.8


@pytest.mark.parametrize(("cls", "multiplier"), [("A", 1.10), ("B", 1.15), ("C", 1.15), ("D", 1.20)])
def test_band_multiplier_of_the_minimum_price(tuned, cls: str, multiplier: float) -> None:
    quote = rate_for(tuned(**{"pricing.method": "band_multiplier"}), cls)
    assert quote.multiplier == multiplier and quote.pd is None
    assert sum(quote.components.values()) == pytest.approx(3.9 * multiplier) == pytest.approx(quote.unrounded_pct)
    assert quote.rate_pct == round(round(3.9 * multiplier / 0.05) * 0.05, 6)
