"""Limits by product (DOMAIN.md §5): each admission rule just below / at its threshold, each
formula and cap, debt at other lenders, rounding, and the recommended product."""

from __future__ import annotations

import pytest
from policy_cases import NO_FLOW, NO_POS, NO_TAX

from riskmodels.policy.limits import debt_service_capacity, flow_balance_limit, limit_decision, product_limit


def limit(product: str, facts, policy, cls: str = "B", rate: float = 4.5, low_cap: float | None = None):
    risk_class = next(c for c in policy.classes if c.name == cls)
    return product_limit(product, facts, risk_class, rate, low_cap, policy)


def failed(result) -> list[str]:
    return [f.id for f in result.failed_admission]


# -- general credit -------------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "expected"), [("A", 240_000), ("B", 180_000), ("C", 120_000), ("D", 120_000)])
def test_general_credit_is_months_of_inflow_by_class(facts, policy, cls: str, expected: float) -> None:
    result = limit("general_credit", facts(), policy, cls)
    assert (result.eligible, result.limit, result.binding_constraint) == (True, expected, "inflow_months")


@pytest.mark.parametrize(("change", "rule"), [
    (NO_FLOW, "GC_NO_FLOW"),
    ({"years_in_business": 0.99}, "GC_YEARS_IN_BUSINESS"),
    ({"owner_experience_years": 2.99}, "GC_OWNER_EXPERIENCE"),
])
def test_general_credit_admission(facts, policy, change: dict, rule: str) -> None:
    result = limit("general_credit", facts(**change), policy)
    assert (result.eligible, result.limit, failed(result)) == (False, 0.0, [rule])
    assert result.failed_admission[0].text_zh and result.failed_admission[0].text_en
    at = {k: v + 0.01 for k, v in change.items() if isinstance(v, float) and v == v}
    if at:
        assert limit("general_credit", facts(**at), policy).eligible


def test_debt_at_other_lenders_comes_off_the_sales_rule(facts, policy) -> None:
    result = limit("general_credit", facts(bureau_outstanding_debt=500_000.0), policy)
    assert result.constraints["debt_to_sales"] == pytest.approx(0.40 * 1_500_000 - 500_000)
    assert (result.limit, result.binding_constraint) == (100_000, "debt_to_sales")
    # Sales are the largest figure any source shows: without declared sales, the account's
    # annual inflow (the larger of inflow and POS volume) stands for them.
    no_tax = limit("general_credit", facts(bureau_outstanding_debt=500_000.0, **NO_TAX), policy)
    assert no_tax.constraints["debt_to_sales"] == pytest.approx(0.40 * 1_440_000 - 500_000)
    assert no_tax.limit == 70_000
    over = limit("general_credit", facts(bureau_outstanding_debt=700_000.0), policy)
    assert (over.eligible, over.limit, over.constraints["debt_to_sales"]) == (True, 0.0, 0.0)


def test_debt_service_interest_only(facts, policy) -> None:
    result = limit("general_credit", facts(), policy, rate=4.5)
    net = 120_000 - 120_000 * 0.92  # inflow minus outflow
    assert result.constraints["debt_service"] == pytest.approx(0.5 * net / (0.045 / 12) - 60_000)
    burning = limit("general_credit", facts(flow_in_out_ratio=0.95), policy)  # outflow above inflow
    assert (burning.limit, burning.binding_constraint) == (0.0, "debt_service")


def test_debt_service_amortising_over_the_capped_term(facts, tuned) -> None:
    amortising = tuned(**{"products.general_credit.debt_service.repayment": "amortising"})
    payment, r = 0.5 * (120_000 - 120_000 * 0.92), 0.045 / 12
    present_value = sum(payment / (1 + r) ** k for k in range(1, 13))  # the term is capped at 12 months
    result = limit("general_credit", facts(requested_term_months=36.0, bureau_outstanding_debt=0.0), amortising,
                   rate=4.5)
    assert result.constraints["debt_service"] == pytest.approx(present_value)  # about 56,000
    assert (result.limit, result.binding_constraint) == (50_000, "debt_service")
    indebted = limit("general_credit", facts(requested_term_months=36.0), amortising, rate=4.5)
    assert (indebted.limit, indebted.constraints["debt_service"]) == (0.0, 0.0)  # 60,000 owed elsewhere
    assert debt_service_capacity(1000.0, 0.0, 12, "amortising") == 12_000
    assert debt_service_capacity(-5.0, 4.5, 12, "interest_only") == 0.0


def test_limits_round_down_to_the_step(facts, policy, tuned) -> None:
    assert limit("general_credit", facts(flow_mean_inflow=126_666.0), policy).limit == 180_000
    assert limit("general_credit", facts(flow_mean_inflow=126_667.0), policy).limit == 190_000
    assert limit("general_credit", facts(flow_mean_inflow=120_000.0), policy).limit == 180_000  # at the step
    fine = tuned(**{"limits.rounding_step": 5_000})
    assert limit("general_credit", facts(flow_mean_inflow=126_666.0), fine).limit == 185_000


def test_class_product_and_low_score_caps(facts, policy) -> None:
    rich = facts(flow_mean_inflow=2_000_000.0, flow_annual_inflow=24e6, tax_sales_last_year=40e6)
    b = limit("general_credit", rich, policy, "B")
    assert (b.limit, b.binding_constraint) == (1_500_000, "class_cap")
    a = limit("general_credit", rich, policy, "A")
    assert (a.limit, a.binding_constraint) == (2_000_000, "product_cap")  # ties go to the first named
    low = limit("general_credit", rich, policy, "C", low_cap=300_000)
    assert (low.limit, low.binding_constraint) == (300_000, "low_score_cap")


# -- POS loan -------------------------------------------------------------------------------
def test_pos_loan_is_a_share_of_pos_volume(facts, policy) -> None:
    b = limit("pos_loan", facts(), policy, "B")
    assert (b.limit, b.binding_constraint, b.constraints["pos_volume_share"]) == (240_000, "pos_volume_share",
                                                                                  pytest.approx(247_500))
    a = limit("pos_loan", facts(), policy, "A")  # up to 50% for the best class
    assert a.constraints["pos_volume_share"] == pytest.approx(412_500) and a.limit == 410_000


@pytest.mark.parametrize(("below", "at", "rule"), [
    ({"years_in_business": 1.99}, {"years_in_business": 2.0}, "POS_YEARS_IN_BUSINESS"),
    ({"pos_tenure_months": 11.0}, {"pos_tenure_months": 12.0}, "POS_TENURE"),
    ({"pos_tenure_months": float("nan")}, {"pos_tenure_months": 12.0}, "POS_TENURE"),
    ({"pos_active_months": 11.0}, {"pos_active_months": 12.0}, "POS_ACTIVE_MONTHS"),
    ({"pos_volume_12m": 299_999.0}, {"pos_volume_12m": 300_000.0}, "POS_VOLUME"),
    ({"pos_count_12m": 99.0}, {"pos_count_12m": 100.0}, "POS_COUNT"),
])
def test_pos_loan_admission(facts, policy, below: dict, at: dict, rule: str) -> None:
    assert failed(limit("pos_loan", facts(**below), policy)) == [rule]
    assert limit("pos_loan", facts(**at), policy).eligible


def test_pos_loan_without_pos_and_with_every_failure(facts, policy) -> None:
    assert failed(limit("pos_loan", facts(**NO_POS), policy)) == ["POS_NO_DATA"]
    weak = facts(years_in_business=1.0, pos_active_months=9.0, pos_volume_12m=100_000.0)
    assert failed(limit("pos_loan", weak, policy)) == ["POS_YEARS_IN_BUSINESS", "POS_ACTIVE_MONTHS", "POS_VOLUME"]
    assert limit("pos_loan", facts(pos_volume_12m=300_000.0), policy).limit == 90_000  # 30% at the threshold


# -- tax loan -------------------------------------------------------------------------------
def test_tax_loan_formula(facts, policy) -> None:
    small = limit("tax_loan", facts(), policy)  # 3 x 29,000 = 87,000 under 8% x 1.5 M = 120,000
    assert (small.limit, small.binding_constraint) == (80_000, "tax_multiple")
    big = limit("tax_loan", facts(tax_mean_yearly=100_000.0), policy)
    assert (big.limit, big.binding_constraint) == (120_000, "sales_share")
    huge = limit("tax_loan", facts(tax_mean_yearly=1e6, tax_sales_last_year=1e8), policy, "A")
    assert (huge.limit, huge.binding_constraint) == (2_000_000, "product_cap")


@pytest.mark.parametrize(("change", "admitted"), [
    ({"tax_grade": "A", "tax_penalties": 2.0}, True),
    ({"tax_grade": "B", "tax_penalties": 0.0}, True),
    ({"tax_grade": "B", "tax_penalties": 1.0}, False),
    ({"tax_grade": "M", "tax_penalties": 0.0}, False),
    ({"tax_grade": "C", "tax_penalties": 0.0}, False),
])
def test_tax_grade_admission(facts, policy, change: dict, admitted: bool) -> None:
    result = limit("tax_loan", facts(**change), policy)
    assert result.eligible is admitted
    assert failed(result) == ([] if admitted else ["TAX_GRADE"])


@pytest.mark.parametrize(("below", "at", "rule"), [
    ({"years_in_business": 1.99}, {"years_in_business": 2.0}, "TAX_YEARS_IN_BUSINESS"),
    ({"tax_mean_yearly": 19_999.0}, {"tax_mean_yearly": 20_000.0}, "TAX_AMOUNT"),
])
def test_tax_loan_admission(facts, policy, below: dict, at: dict, rule: str) -> None:
    assert failed(limit("tax_loan", facts(**below), policy)) == [rule]
    assert limit("tax_loan", facts(**at), policy).eligible
    assert failed(limit("tax_loan", facts(**NO_TAX), policy)) == ["TAX_NO_DATA"]


# -- settlement-flow loan -------------------------------------------------------------------
@pytest.mark.parametrize(("balance", "expected"), [
    (0.0, 0.0), (100_000.0, 300_000.0), (166_666.0, 499_998.0), (166_667.0, 500_000.0),
    (400_000.0, 500_000.0), (500_000.0, 500_000.0), (500_001.0, 500_001.0), (600_000.0, 600_000.0),
])
def test_flow_loan_balance_rule(balance: float, expected: float) -> None:
    assert flow_balance_limit(balance, 500_000, 3, 1) == pytest.approx(expected)


def test_flow_loan_balance_rule_never_falls_as_the_balance_grows() -> None:
    grid = [flow_balance_limit(b * 1_000.0, 500_000, 3, 1) for b in range(0, 2_000)]
    assert grid == sorted(grid)


def test_flow_loan_admission_and_formula(facts, policy) -> None:
    assert failed(limit("flow_loan", facts(), policy)) == ["FLOW_VOLUME"]  # the restaurant: 1.44 M, 15,000
    by_balance = limit("flow_loan", facts(flow_avg_daily_balance=30_000.0), policy)
    assert (by_balance.limit, by_balance.binding_constraint) == (90_000, "balance_multiple")
    by_credits = limit("flow_loan", facts(flow_avg_daily_balance=29_999.0, flow_annual_inflow=2_000_000.0), policy)
    assert by_credits.eligible and by_credits.limit == 80_000
    short = facts(flow_avg_daily_balance=29_999.0, flow_annual_inflow=1_999_999.0)
    assert failed(limit("flow_loan", short, policy)) == ["FLOW_VOLUME"]
    ok = {"flow_avg_daily_balance": 40_000.0}
    assert failed(limit("flow_loan", facts(account_tenure_months=23.0, **ok), policy)) == ["FLOW_ACCOUNT_TENURE"]
    assert limit("flow_loan", facts(account_tenure_months=24.0, **ok), policy).eligible
    assert failed(limit("flow_loan", facts(flow_txn_count_12m=99.0, **ok), policy)) == ["FLOW_TXN_COUNT"]
    assert limit("flow_loan", facts(flow_txn_count_12m=100.0, **ok), policy).eligible
    assert failed(limit("flow_loan", facts(**NO_FLOW), policy)) == ["FLOW_NO_DATA"]


# -- the recommendation ---------------------------------------------------------------------
def test_the_requested_product_when_it_lends_the_amount_and_the_request_caps_the_final_limit(facts, policy) -> None:
    b = policy.classes[1]
    decision = limit_decision(facts(), b, 4.5, None, policy)
    # The pre-approved limit is the most any product lends (the POS loan's); the general credit
    # asked for lends the 150,000 requested, so it is the product recommended.
    assert (decision.recommended_product, decision.pre_approved, decision.final) == ("general_credit", 240_000, 150_000)
    assert [p.product for p in decision.by_product] == ["general_credit", "pos_loan", "tax_loan", "flow_loan", "platform_loan"]
    assert decision.by_product[0].limit == 180_000
    # Asking more than the general credit lends (180,000) switches to the product that lends it.
    more = limit_decision(facts(requested_amount=200_000.0), b, 4.5, None, policy)
    assert (more.recommended_product, more.pre_approved, more.final) == ("pos_loan", 240_000, 200_000)
    pos = limit_decision(facts(product="pos_loan"), b, 4.5, None, policy)
    assert (pos.recommended_product, pos.pre_approved) == ("pos_loan", 240_000)


def test_otherwise_the_product_with_the_largest_limit(facts, policy) -> None:
    b = policy.classes[1]
    switched = limit_decision(facts(product="flow_loan"), b, 4.5, None, policy)
    assert (switched.recommended_product, switched.pre_approved) == ("pos_loan", 240_000)
    nothing = limit_decision(facts(product="tax_loan", **NO_FLOW, **NO_TAX, **NO_POS), b, 4.5, None, policy)
    assert (nothing.recommended_product, nothing.pre_approved, nothing.final) == (None, 0.0, 0.0)


def test_a_product_can_be_switched_off(facts, tuned) -> None:
    policy = tuned(**{"products.general_credit.enabled": False})
    result = limit("general_credit", facts(), policy)
    assert failed(result) == ["PRODUCT_DISABLED"] and result.limit == 0
    assert limit_decision(facts(), policy.classes[1], 4.5, None, policy).recommended_product == "pos_loan"
