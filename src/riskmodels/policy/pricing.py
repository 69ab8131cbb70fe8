"""Risk-based rate (DOMAIN.md §6), every component returned so a validator can redo the sum.

``risk_based``: funding + operating cost + expected loss (PD x LGD) + capital cost + margin.
``band_multiplier`` (the seeds' way): the class's multiplier x the minimum small-business
price, shown as the minimum price plus the band premium. Either way the components add up to
``unrounded_pct``; the quoted ``rate_pct`` is that, within the floor and the cap, on the step.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.policy.schema import Policy, RiskClass

PdSource = Literal["grade", "class", "applicant"]


class PriceQuote(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: Literal["risk_based", "band_multiplier"]
    rate_pct: float = Field(description="Quoted rate, percent a year")
    unrounded_pct: float = Field(description="Sum of the components, before floor, cap and rounding")
    components: dict[str, float] = Field(description="Percent a year; they sum to unrounded_pct")
    pd: float | None = Field(description="PD priced (risk_based)")
    pd_source: PdSource | None
    lgd: float | None
    multiplier: float | None = Field(description="Class multiplier of the minimum price (band_multiplier)")
    floor_pct: float
    cap_pct: float
    step_pct: float
    bound: Literal["floor", "cap"] | None = Field(description="Which bound the rate was held at, if any")


def priced_pd(risk_class: RiskClass, applicant_pd: float, source: PdSource,
              policy: Policy | None = None) -> tuple[float, PdSource]:
    """``grade``: the master-scale PD of the applicant's grade (its calibrated PD's); ``class``:
    the class's PD (the master scale's, or the policy's override); ``applicant``: the calibrated
    PD itself, also when the class has no PD."""
    if source == "grade" and policy is not None:
        return policy.master_scale.grade_of(applicant_pd).pd, "grade"
    class_pd = risk_class.effective_pd
    if source in ("class", "grade") and class_pd is not None:
        return class_pd, "class"
    return applicant_pd, "applicant"


def on_step(value: float, step: float, rounding: str) -> float:
    """``value`` rounded to a multiple of ``step``: up, or to the nearest (``rounding``)."""
    steps = value / step
    # The small tolerance keeps 4.5 from becoming 4.55 through a binary-fraction remainder.
    count = math.ceil(steps - 1e-9) if rounding == "up" else math.floor(steps + 0.5 + 1e-9)
    return round(count * step, 6)


def quote_rate(risk_class: RiskClass, applicant_pd: float, policy: Policy) -> PriceQuote:
    p = policy.pricing
    pd: float | None = None
    source: PdSource | None = None
    if p.method == "band_multiplier":
        premium = p.minimum_price_pct * (risk_class.price_multiplier - 1)
        components = {"minimum_price": p.minimum_price_pct, "band_premium": premium}
        multiplier: float | None = risk_class.price_multiplier
    else:
        pd, source = priced_pd(risk_class, applicant_pd, p.pd_source, policy)
        capital = p.capital_ratio * p.hurdle_rate_pct
        if p.flat_capital_cost_pct is not None:
            capital = p.flat_capital_cost_pct
        components = {"funding_cost": p.funding_cost_pct, "operating_cost": p.operating_cost_pct,
                      "expected_loss": 100 * pd * p.lgd, "capital_cost": capital, "margin": p.margin_pct}
        multiplier = None
    unrounded = sum(components.values())
    rate = min(max(on_step(unrounded, p.step_pct, p.rounding), p.floor_pct), p.cap_pct)
    bound: Literal["floor", "cap"] | None = "floor" if unrounded < p.floor_pct else "cap" if unrounded > p.cap_pct else None
    return PriceQuote(method=p.method, rate_pct=rate, unrounded_pct=unrounded, components=components, pd=pd,
                      pd_source=source, lgd=p.lgd if pd is not None else None, multiplier=multiplier,
                      floor_pct=p.floor_pct, cap_pct=p.cap_pct, step_pct=p.step_pct, bound=bound)
