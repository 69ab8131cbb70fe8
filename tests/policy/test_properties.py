"""No valid application ever gets an empty or contradictory answer (hypothesis, over the
contract's ranges, sources missing together as the contract says they may)."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodels.contract import COLLATERAL_TYPES, INDUSTRIES, PRODUCTS, REGISTRY_STATUSES, TAX_GRADES
from riskmodels.policy import ApplicationFacts, apply_policy
from riskmodels.policy.limits import round_down
from riskmodels.policy.rules import STAGES

NAN = float("nan")


def money(high: float) -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), st.floats(0, high, allow_nan=False), st.floats(0, 1e10, allow_nan=False))


def between(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False)


def whole(low: int, high: int) -> st.SearchStrategy[float]:
    return st.integers(low, high).map(float)


@st.composite
def applications(draw: st.DrawFn) -> ApplicationFacts:
    """Half the time a clean applicant within the usual ranges, half the time anything the
    contract allows: uniform draws alone would knock nearly every application out."""
    clean = draw(st.booleans())

    def pick(usual: st.SearchStrategy, anything: st.SearchStrategy) -> object:
        return draw(usual if clean else anything)

    has_flow, has_tax, has_pos, has_eb, has_platform = (draw(st.booleans()) for _ in range(5))
    has_flow = has_flow or clean
    inflow = pick(between(20_000, 2e6), money(2e6))
    return ApplicationFacts(
        product=draw(st.sampled_from(PRODUCTS)), requested_amount=pick(between(1000, 3e5), between(1000, 5e6)),
        requested_term_months=pick(whole(1, 12), whole(1, 60)),
        collateral_type=pick(st.just("none"), st.sampled_from(COLLATERAL_TYPES)),
        government_risk_sharing=draw(st.booleans()), blacklist_hit=pick(st.just(False), st.booleans()),
        registry_status=pick(st.just("active"), st.sampled_from(REGISTRY_STATUSES)),
        environmental_violation=pick(st.just(False), st.booleans()),
        eb_bad_record_3y=pick(st.just(False), st.booleans()) if has_eb else None,
        main_business_share=pick(between(50, 100), between(0, 100)),
        owner_financial_assets=draw(st.one_of(st.just(NAN), money(1e7))),
        pos_tenure_months=pick(whole(12, 120), whole(0, 600)) if has_pos else NAN,
        industry=pick(st.sampled_from([i for i in INDUSTRIES if i not in ("mining", "construction")]),
                      st.sampled_from(INDUSTRIES)),
        owner_age=pick(whole(26, 64), whole(18, 90)), years_in_business=pick(between(2, 40), between(0, 80)),
        owner_experience_years=pick(between(3, 40), between(0, 70)),
        account_tenure_months=pick(whole(12, 240), whole(0, 600)),
        pb_overdue_le30_24m=pick(whole(0, 6), whole(0, 200)), pb_max_dpd_24m=pick(whole(0, 30), whole(0, 3650)),
        bureau_outstanding_debt=pick(between(0, 1e5), money(5e7)),
        tax_arrears=pick(st.just(0.0), whole(0, 1)) if has_tax else NAN,
        tax_grade=draw(st.sampled_from(TAX_GRADES)) if has_tax else None,
        tax_penalties=pick(st.just(0.0), whole(0, 100)) if has_tax else NAN,
        tax_mean_yearly=pick(between(10_000, 5e5), money(2e6)) if has_tax else NAN,
        tax_sales_last_year=pick(between(5e5, 2e7), money(5e7)) if has_tax else NAN,
        flow_mean_inflow=inflow if has_flow else NAN, flow_annual_inflow=12 * inflow if has_flow else NAN,
        flow_in_out_ratio=pick(between(1.0, 1.3), st.one_of(st.just(NAN), between(0, 5))) if has_flow else NAN,
        flow_avg_daily_balance=pick(between(5_000, 1e6), money(3e6)) if has_flow else NAN,
        flow_txn_count_12m=pick(between(100, 5_000), between(0, 20_000)) if has_flow else NAN,
        pos_volume_12m=pick(between(1e5, 5e6), money(5e7)) if has_pos else NAN,
        pos_count_12m=pick(between(100, 1e5), between(0, 1e5)) if has_pos else NAN,
        pos_active_months=pick(st.just(12.0), whole(0, 12)) if has_pos else NAN,
        platform_agent_months=pick(whole(24, 120), whole(0, 600)) if has_platform else NAN,
        platform_orders_12m=pick(between(1e5, 5e6), money(5e7)) if has_platform else NAN,
        platform_max_order_gap_days=pick(whole(1, 45), whole(0, 366)) if has_platform else NAN,
        platform_max_month_share=pick(between(1 / 12, 0.25), between(0, 1)) if has_platform else NAN,
        platform_commissions_12m=pick(between(1e4, 1e6), money(1e7)) if has_platform else NAN,
        platform_commission_forecast_12m=pick(between(1e4, 1e6), money(1e7)) if has_platform else NAN,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=applications(), score=st.one_of(st.floats(80, 100), st.floats(0, 100)),
       applicant_pd=st.floats(1e-4, 0.9), fraud_score=st.one_of(st.floats(60, 100), st.floats(0, 100)))
def test_every_answer_is_complete_and_consistent(policy, facts: ApplicationFacts, score: float,
                                                 applicant_pd: float, fraud_score: float) -> None:
    verdict = "pass" if fraud_score >= 60 else "review" if fraud_score >= 40 else "reject"
    outcome = apply_policy(facts, score, applicant_pd, fraud_score, verdict, policy)
    actions = [rule.action for rule in outcome.rules]
    limit, step = outcome.limit, policy.limits.rounding_step
    assert outcome.rules and all(rule.text_zh and rule.text_en for rule in outcome.rules)
    assert sum(rule.stage == "band" for rule in outcome.rules) >= 1  # the score's band always speaks
    stages = [rule.stage for rule in outcome.rules]
    assert stages == sorted(stages, key=STAGES.index)

    assert (outcome.decision == "reject") == ("reject" in actions)
    if outcome.decision == "reject":
        assert limit.final == 0 and limit.pre_approved == 0 and outcome.pricing is None
    else:
        price = outcome.pricing
        assert price is not None and price.floor_pct <= price.rate_pct <= price.cap_pct
        assert abs(price.rate_pct / price.step_pct - round(price.rate_pct / price.step_pct)) < 1e-6
        assert math.isclose(sum(price.components.values()), price.unrounded_pct, rel_tol=1e-12)
    if outcome.decision in ("approve", "offer"):
        assert "review" not in actions and "BAND_HIGH" in [r.id for r in outcome.rules]
        assert not any(rule.stage in ("knockout", "fraud") for rule in outcome.rules)
        assert 0 < limit.final <= facts.requested_amount
    # An offer is the pre-approved limit at once, because more was asked; an approval lends all of it.
    assert (outcome.decision == "offer") == (outcome.decision != "reject" and "review" not in actions
                                             and "offer" in actions and "approve" in actions)
    if outcome.decision == "offer":
        assert limit.final == limit.pre_approved < facts.requested_amount
    if outcome.decision == "approve":
        assert limit.final == facts.requested_amount

    assert limit.final <= facts.requested_amount and limit.final <= limit.pre_approved
    for product in limit.by_product:
        assert product.limit >= 0 and product.limit % step == 0
        cfg = getattr(policy.products, product.product)
        assert product.limit <= min(cfg.cap, policy.risk_class(score).limit_cap)
        if product.eligible:
            assert not product.failed_admission and product.binding_constraint in product.constraints
            assert product.limit == round_down(product.constraints[product.binding_constraint], step)
        else:
            assert product.limit == 0 and product.failed_admission
    if outcome.decision != "reject":
        chosen = [p for p in limit.by_product if p.product == limit.recommended_product]
        # The pre-approved limit is the most any product lends; the recommended product lends the final.
        assert limit.pre_approved == max((p.limit for p in limit.by_product), default=0.0)
        assert limit.final == min(limit.pre_approved, facts.requested_amount)
        assert (chosen[0].limit if chosen else 0.0) >= limit.final
    if any(rule.id.startswith("LS_") for rule in outcome.rules):
        assert limit.pre_approved <= policy.bands.low_score_exceptions.limit_cap
    assert "NaN" not in outcome.model_dump_json() and json.loads(outcome.model_dump_json())
