"""The platform loan (seed 002 §三(二), 中行"沃金融" for 联通's agents on 沃易购): admission by
agency tenure, then the larger of two formulas, 50% of 12 months' commissions held under 70%
of the platform's forecast, or 15% of 12 months' orders when the ordering is steady."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from policy_cases import AGENT, CLEAN, NAN, NO_FLOW, NO_POS, NO_TAX

from riskmodels.policy.limits import limit_decision, product_limit


def _limit(facts, policy, cls: str = "B"):
    risk_class = next(c for c in policy.classes if c.name == cls)
    return product_limit("platform_loan", facts, risk_class, 4.5, None, policy)


def test_no_platform_data_and_a_short_agency_are_refused_by_name(facts, policy) -> None:
    assert [f.id for f in _limit(facts(), policy).failed_admission] == ["PLATFORM_NO_DATA"]
    young = _limit(facts(**{**AGENT, "platform_agent_months": 23.0}), policy)
    assert [f.id for f in young.failed_admission] == ["PLATFORM_AGENT_MONTHS"]
    assert young.failed_admission[0].evidence == {"platform_agent_months": 23.0, "minimum": 24}
    assert _limit(facts(**{**AGENT, "platform_agent_months": 24.0}), policy).eligible


def test_steady_orders_lend_15_percent_and_otherwise_commissions_set_the_limit(facts, policy) -> None:
    steady = _limit(facts(**AGENT), policy)
    # 15% of 2,000,000 orders (300,000) beats min(50% of 400,000, 70% of 300,000) = 200,000.
    assert (steady.binding_constraint, steady.limit) == ("platform_orders", 300_000)
    assert steady.constraints["platform_orders"] == 0.15 * AGENT["platform_orders_12m"]
    for unsteady in ({"platform_max_order_gap_days": 46.0}, {"platform_max_month_share": 0.26}):
        by_commissions = _limit(facts(**{**AGENT, **unsteady}), policy)
        assert (by_commissions.binding_constraint, by_commissions.limit) == ("platform_commissions", 200_000)
    # The forecast holds formula 1 down: 70% of a 200,000 forecast is 140,000.
    weak_forecast = _limit(facts(**{**AGENT, "platform_max_order_gap_days": 60.0,
                                    "platform_commission_forecast_12m": 200_000.0}), policy)
    assert weak_forecast.limit == 140_000


def test_the_common_caps_still_hold_with_the_orders_as_a_sales_figure(facts, policy) -> None:
    big = _limit(facts(**{**AGENT, "platform_orders_12m": 50_000_000.0}), policy)
    assert (big.binding_constraint, big.limit) == ("class_cap", 1_500_000)  # 15% of 50 M is 7.5 M; B lends 1.5 M
    best = _limit(facts(**{**AGENT, "platform_orders_12m": 50_000_000.0}), policy, cls="A")
    assert best.constraints["product_cap"] == 3_000_000 and best.limit == 2_000_000  # A's cap is below the product's
    # An agent resells what it orders: 10 M of orders is a sales figure, 40% of it less 3.6 M owed.
    owing = _limit(facts(**{**AGENT, "platform_orders_12m": 10_000_000.0, "bureau_outstanding_debt": 3_600_000.0}),
                   policy)
    assert (owing.binding_constraint, owing.limit) == ("debt_to_sales", 400_000)


def test_an_agent_gets_the_platform_loan_when_it_lends_the_most(facts, policy) -> None:
    b = policy.classes[1]
    asked = limit_decision(facts(**AGENT, requested_amount=290_000.0), b, 4.5, None, policy)
    assert (asked.recommended_product, asked.pre_approved, asked.final) == ("platform_loan", 300_000, 290_000)


amounts = st.floats(0, 1e8, allow_nan=False)
SOURCES = {"flow": NO_FLOW, "tax": NO_TAX, "pos": NO_POS,
           "platform": {name: NAN for name in AGENT}}


@settings(max_examples=300, deadline=None)
@given(orders=amounts, commissions=amounts, debt=st.floats(0, 1e7, allow_nan=False),
       source=st.sampled_from(sorted(SOURCES)), cls=st.sampled_from(["A", "B", "C"]))
def test_withholding_a_source_never_raises_an_agents_pre_approved_limit(
        orders: float, commissions: float, debt: float, source: str, cls: str) -> None:
    from riskmodels.policy import load_policy
    policy = load_policy()
    risk_class = next(c for c in policy.classes if c.name == cls)
    agent = replace(CLEAN, **{**AGENT, "platform_orders_12m": orders, "platform_commissions_12m": commissions,
                              "platform_commission_forecast_12m": commissions}, bureau_outstanding_debt=debt)
    before = limit_decision(agent, risk_class, 4.5, None, policy)
    after = limit_decision(replace(agent, **SOURCES[source]), risk_class, 4.5, None, policy)
    assert after.pre_approved <= before.pre_approved


@settings(max_examples=300, deadline=None)
@given(commissions=amounts, forecast=amounts, orders=amounts, gap=st.integers(0, 366), share=st.floats(0, 1),
       more=st.floats(0, 1e7, allow_nan=False))
def test_the_limit_follows_the_seed_formulas_and_more_evidence_never_lowers_it(
        commissions: float, forecast: float, orders: float, gap: int, share: float, more: float) -> None:
    from riskmodels.policy import load_policy
    policy = load_policy()
    facts = replace(CLEAN, platform_agent_months=36.0, platform_commissions_12m=commissions,
                    platform_commission_forecast_12m=forecast, platform_orders_12m=orders,
                    platform_max_order_gap_days=float(gap), platform_max_month_share=share)
    result = _limit(facts, policy)
    steady = gap <= 45 and share <= 0.25
    ceiling = max(min(0.5 * commissions, 0.7 * forecast), 0.15 * orders if steady else 0.0)
    assert result.limit <= min(ceiling, 3_000_000) + 1e-6
    for field in ("platform_commissions_12m", "platform_commission_forecast_12m", "platform_orders_12m"):
        richer = _limit(replace(facts, **{field: getattr(facts, field) + more}), policy)
        assert richer.limit >= result.limit
