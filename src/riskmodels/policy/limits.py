"""Limits by product (DOMAIN.md §5): admission rules first, then every constraint, the binding
one named, rounded down to the policy's step.

Every product is also held under the class's cap (and the low-score cap when a low score was
let through), and under the total-debt rule: debt at every lender, the new limit included, at
most ``max_debt_to_sales`` of last year's sales. Debt at other lenders also comes off the
general credit's debt-service capacity.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.contract import PRODUCTS
from riskmodels.policy.facts import ApplicationFacts
from riskmodels.policy.rules import FailedAdmission, cny
from riskmodels.policy.schema import Policy, RiskClass

NAMES = {"general_credit": ("信用贷", "general credit loan"), "pos_loan": ("POS贷", "POS loan"),
         "tax_loan": ("税贷", "tax loan"), "flow_loan": ("结算流水贷", "settlement-flow loan"),
         "platform_loan": ("平台贷", "platform loan")}


class ProductLimit(BaseModel):
    model_config = ConfigDict(frozen=True)

    product: str
    eligible: bool
    limit: float = Field(description="CNY, rounded down to the step; 0 when not eligible")
    binding_constraint: str | None = Field(description="The constraint that set the limit")
    constraints: dict[str, float] = Field(description="Each constraint's amount (CNY) before rounding")
    failed_admission: list[FailedAdmission] = Field(description="Admission rules not met (empty when eligible)")
    max_term_months: int


class LimitDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    requested_product: str | None
    requested_amount: float
    recommended_product: str | None = Field(
        description="The requested product if it lends the amount asked, else the product that lends the most")
    pre_approved: float = Field(description="The largest limit any product lends (0 on a rejection)")
    final: float = Field(description="min(pre-approved, requested amount) (0 on a rejection); the recommended "
                         "product lends it")
    sized_class: str = Field(description="The risk class the limits were sized in: the credit class, or a lower one "
                             "when a source is missing (policy limits.sized_with_missing_at_worst)")
    by_product: list[ProductLimit]


def round_down(amount: float, step: float) -> float:
    """Down to the step; the tolerance keeps 180,000 computed as 179,999.99999997 at 180,000."""
    if not amount > 0:
        return 0.0
    return float(math.floor(amount / step + 1e-9) * step)


def _fail(rule_id: str, zh: str, en: str, **evidence: float | str | bool | None) -> FailedAdmission:
    return FailedAdmission(id=rule_id, text_zh=zh, text_en=en, evidence=evidence)


def _below(rule_id: str, value: float, minimum: float, zh: str, en: str, name: str) -> FailedAdmission | None:
    """A failure when ``value`` is under ``minimum`` (or unknown)."""
    if value >= minimum:
        return None
    known = not math.isnan(value)
    return _fail(rule_id, f"{zh}：{f'{value:,.6g}' if known else '无'}，要求不低于{minimum:,.6g}",
                 f"{en}: {f'{value:,.6g}' if known else 'none'}, at least {minimum:,.6g} required",
                 **{name: value if known else None, "minimum": minimum})


def _common(facts: ApplicationFacts, risk_class: RiskClass, cap: float, low_score_cap: float | None,
            policy: Policy) -> dict[str, float]:
    constraints = {"product_cap": cap, "class_cap": risk_class.limit_cap}
    if low_score_cap is not None:
        constraints["low_score_cap"] = low_score_cap
    sales = facts.annual_sales
    if not math.isnan(sales):  # without any sales figure the product's own evidence stands alone
        debt = 0.0 if math.isnan(facts.bureau_outstanding_debt) else facts.bureau_outstanding_debt
        constraints["debt_to_sales"] = policy.limits.max_debt_to_sales * sales - debt
    return constraints


def debt_service_capacity(monthly_payment: float, rate_pct: float, term_months: float, repayment: str) -> float:
    """The principal a monthly payment services at the rate: interest only, or equal instalments."""
    if not monthly_payment > 0:
        return 0.0
    monthly_rate = rate_pct / 100 / 12
    if monthly_rate <= 0:
        return monthly_payment * term_months if repayment == "amortising" else math.inf
    if repayment == "interest_only":
        return monthly_payment / monthly_rate
    discount: float = (1 + monthly_rate) ** -term_months  # typeshed: float ** float may be complex
    return monthly_payment * (1 - discount) / monthly_rate


def _general_credit(facts: ApplicationFacts, risk_class: RiskClass, rate_pct: float,
                    policy: Policy) -> tuple[list[FailedAdmission | None], dict[str, float]]:
    cfg = policy.products.general_credit
    failures = [
        None if not math.isnan(facts.flow_mean_inflow) else _fail(
            "GC_NO_FLOW", "无结算流水：信用贷额度按账户流水核定", "No settlement account flow: the limit is sized on it"),
        _below("GC_YEARS_IN_BUSINESS", facts.years_in_business, cfg.min_years_in_business, "经营年限",
               "Years in business", "years_in_business"),
        _below("GC_OWNER_EXPERIENCE", facts.owner_experience_years, cfg.min_owner_experience_years, "经营者从业年限",
               "Owner's years of industry experience", "owner_experience_years"),
    ]
    term = min(facts.requested_term_months, cfg.max_term_months)
    debt = 0.0 if math.isnan(facts.bureau_outstanding_debt) else facts.bureau_outstanding_debt
    payment = cfg.debt_service.net_flow_share * facts.monthly_net_flow
    capacity = debt_service_capacity(payment, rate_pct, term, cfg.debt_service.repayment)
    return failures, {"inflow_months": risk_class.inflow_months * facts.flow_mean_inflow,
                      "debt_service": capacity - debt}


def _pos_loan(facts: ApplicationFacts, risk_class: RiskClass, rate_pct: float,
              policy: Policy) -> tuple[list[FailedAdmission | None], dict[str, float]]:
    cfg = policy.products.pos_loan
    if math.isnan(facts.pos_volume_12m):
        return [_fail("POS_NO_DATA", "无POS收单记录", "No POS acquiring history")], {}
    failures = [
        _below("POS_YEARS_IN_BUSINESS", facts.years_in_business, cfg.min_years_in_business, "经营年限",
               "Years in business", "years_in_business"),
        _below("POS_TENURE", facts.pos_tenure_months, cfg.min_pos_tenure_months, "本行POS收单月数",
               "Months of POS acquiring with the bank", "pos_tenure_months"),
        _below("POS_ACTIVE_MONTHS", facts.pos_active_months, cfg.min_active_months, "近12个月有POS收单的月数",
               "Months with POS volume in the last 12", "pos_active_months"),
        _below("POS_VOLUME", facts.pos_volume_12m, cfg.min_volume_12m, "近12个月POS收单金额",
               "POS volume in 12 months", "pos_volume_12m"),
        _below("POS_COUNT", facts.pos_count_12m, cfg.min_count_12m, "近12个月POS交易笔数",
               "POS transactions in 12 months", "pos_count_12m"),
    ]
    share = cfg.best_class_share if risk_class.name in cfg.best_classes else cfg.volume_share
    return failures, {"pos_volume_share": share * facts.pos_volume_12m}


def _tax_loan(facts: ApplicationFacts, risk_class: RiskClass, rate_pct: float,
              policy: Policy) -> tuple[list[FailedAdmission | None], dict[str, float]]:
    cfg = policy.products.tax_loan
    if math.isnan(facts.tax_mean_yearly) or facts.tax_grade is None:
        return [_fail("TAX_NO_DATA", "无纳税记录（未授权银税互动）", "No tax records (tax data not authorised)")], {}
    grade_ok = facts.tax_grade in cfg.grades or (facts.tax_grade in cfg.grades_without_penalties
                                                 and facts.tax_penalties == 0)
    failures = [
        None if grade_ok else _fail(
            "TAX_GRADE", f"纳税信用等级{facts.tax_grade}（税务处罚{facts.tax_penalties:g}次）不符合准入",
            f"Tax grade {facts.tax_grade} with {facts.tax_penalties:g} tax penalties is not admitted "
            f"(grades {cfg.grades}, or {cfg.grades_without_penalties} without penalties)",
            tax_grade=facts.tax_grade, tax_penalties=facts.tax_penalties),
        _below("TAX_YEARS_IN_BUSINESS", facts.years_in_business, cfg.min_years_in_business, "经营年限",
               "Years in business", "years_in_business"),
        _below("TAX_AMOUNT", facts.tax_mean_yearly, cfg.min_tax_mean_yearly, "近两年年均纳税额",
               "Mean yearly tax of the last 2 years", "tax_mean_yearly"),
    ]
    return failures, {"tax_multiple": cfg.tax_multiple * facts.tax_mean_yearly,
                      "sales_share": cfg.sales_share * facts.tax_sales_last_year}


def flow_balance_limit(balance: float, small_max: float, small_multiple: float, large_multiple: float) -> float:
    """Seed 002 §四(三): a loan up to ``small_max`` needs balance x small_multiple, a larger one
    balance x large_multiple; the limit is the largest loan either rule allows."""
    return max(min(small_multiple * balance, small_max), large_multiple * balance)


def _flow_loan(facts: ApplicationFacts, risk_class: RiskClass, rate_pct: float,
               policy: Policy) -> tuple[list[FailedAdmission | None], dict[str, float]]:
    cfg = policy.products.flow_loan
    if math.isnan(facts.flow_avg_daily_balance) or math.isnan(facts.flow_annual_inflow):
        return [_fail("FLOW_NO_DATA", "无结算流水记录", "No settlement account flow")], {}
    volume_ok = (facts.flow_annual_inflow >= cfg.min_annual_inflow
                 or facts.flow_avg_daily_balance >= cfg.min_avg_daily_balance)
    failures = [
        _below("FLOW_ACCOUNT_TENURE", facts.account_tenure_months, cfg.min_account_tenure_months, "在本行开户月数",
               "Months with an account at the bank", "account_tenure_months"),
        _below("FLOW_TXN_COUNT", facts.flow_txn_count_12m, cfg.min_txn_count_12m, "近12个月账户交易笔数",
               "Account transactions in 12 months", "flow_txn_count_12m"),
        None if volume_ok else _fail(
            "FLOW_VOLUME", f"近12个月入账{cny(facts.flow_annual_inflow)}元且日均余额{cny(facts.flow_avg_daily_balance)}元，"
            f"均未达到{cny(cfg.min_annual_inflow)}元或{cny(cfg.min_avg_daily_balance)}元",
            f"Credits of {cny(facts.flow_annual_inflow)} in 12 months and an average daily balance of "
            f"{cny(facts.flow_avg_daily_balance)}: neither reaches {cny(cfg.min_annual_inflow)} or "
            f"{cny(cfg.min_avg_daily_balance)}", flow_annual_inflow=facts.flow_annual_inflow,
            flow_avg_daily_balance=facts.flow_avg_daily_balance),
    ]
    balance = flow_balance_limit(facts.flow_avg_daily_balance, cfg.small_loan_max, cfg.small_loan_balance_multiple,
                                 cfg.large_loan_balance_multiple)
    return failures, {"balance_multiple": balance}


def _platform_loan(facts: ApplicationFacts, risk_class: RiskClass, rate_pct: float,
                   policy: Policy) -> tuple[list[FailedAdmission | None], dict[str, float]]:
    """Seed 002 §三(二): formula 1, a share of 12 months' commissions held under a share of the
    platform's forecast; formula 2, a share of 12 months' orders when the ordering is steady. The
    seed allows either, so the larger one that applies is the evidence."""
    cfg = policy.products.platform_loan
    if math.isnan(facts.platform_agent_months):
        return [_fail("PLATFORM_NO_DATA", "非合作平台代理商（无平台数据）", "Not an agent of a partner platform (no platform data)")], {}
    failures: list[FailedAdmission | None] = [
        _below("PLATFORM_AGENT_MONTHS", facts.platform_agent_months, cfg.min_agent_months, "平台代理经营月数",
               "Months as the platform's agent", "platform_agent_months")]
    commissions = min(cfg.commission_share * facts.platform_commissions_12m,
                      cfg.forecast_share * facts.platform_commission_forecast_12m)
    steady = (facts.platform_max_order_gap_days <= cfg.max_order_gap_days
              and facts.platform_max_month_share <= cfg.max_month_share)
    orders = cfg.order_share * facts.platform_orders_12m if steady else math.nan
    # NaN (unknown) lends nothing; of the two formulas the larger known one is the evidence.
    known = {name: value for name, value in (("platform_commissions", commissions), ("platform_orders", orders))
             if not math.isnan(value)}
    if not known:
        failures.append(_fail("PLATFORM_NO_EVIDENCE", "平台佣金与订单均无法核定额度（订单间隔或单月占比超限）",
                              "Neither commissions nor steady orders size a limit (order gaps or one month's "
                              "share over the limit)"))
        return failures, {}
    best = max(known, key=known.__getitem__)
    return failures, {best: known[best]}


Rules = Callable[[ApplicationFacts, RiskClass, float, Policy], tuple[list[FailedAdmission | None], dict[str, float]]]
# One entry per product of the contract, in its order (a test holds the two together).
PRODUCT_RULES: dict[str, Rules] = {"general_credit": _general_credit, "pos_loan": _pos_loan,
                                   "tax_loan": _tax_loan, "flow_loan": _flow_loan, "platform_loan": _platform_loan}


def product_limit(product: str, facts: ApplicationFacts, risk_class: RiskClass, rate_pct: float,
                  low_score_cap: float | None, policy: Policy) -> ProductLimit:
    """One product's limit, or the admission rules it fails."""
    cfg = getattr(policy.products, product)
    if not cfg.enabled:
        failures = [_fail("PRODUCT_DISABLED", f"{NAMES[product][0]}未开办", f"The {NAMES[product][1]} is not offered")]
        own: dict[str, float] = {}
    else:
        found, own = PRODUCT_RULES[product](facts, risk_class, rate_pct, policy)
        failures = [f for f in found if f is not None]
    if failures:
        return ProductLimit(product=product, eligible=False, limit=0.0, binding_constraint=None, constraints={},
                            failed_admission=failures, max_term_months=cfg.max_term_months)
    # An unknown amount (NaN) allows nothing: no evidence, no limit; an unbounded one (a zero
    # rate's interest-only capacity) constrains nothing.
    constraints = {name: 0.0 if math.isnan(value) else max(value, 0.0)
                   for name, value in {**_common(facts, risk_class, cfg.cap, low_score_cap, policy), **own}.items()
                   if value != math.inf}
    binding = min(constraints, key=constraints.__getitem__)
    return ProductLimit(product=product, eligible=True,
                        limit=round_down(constraints[binding], policy.limits.rounding_step),
                        binding_constraint=binding, constraints=constraints, failed_admission=[],
                        max_term_months=cfg.max_term_months)


def limit_decision(facts: ApplicationFacts, risk_class: RiskClass, rate_pct: float, low_score_cap: float | None,
                   policy: Policy) -> LimitDecision:
    """Every product's limit, the recommended product and the final limit, before the decision."""
    by_product = [product_limit(p, facts, risk_class, rate_pct, low_score_cap, policy) for p in PRODUCTS]
    lending = [p for p in by_product if p.eligible and p.limit > 0]
    amount = 0.0 if math.isnan(facts.requested_amount) else facts.requested_amount
    # The pre-approved limit is the most any product lends: a maximum over products, each of
    # which only falls when a source is withheld, so withholding never raises it (the requested
    # product's own limit did: withholding its source switched to a larger product). max()
    # keeps the first of equal limits: ties go to the contract's product order.
    largest = max(lending, key=lambda p: p.limit) if lending else None
    requested = next((p for p in lending if p.product == facts.product and p.limit >= amount), None)
    chosen = requested or largest
    pre_approved = largest.limit if largest else 0.0
    return LimitDecision(requested_product=facts.product, requested_amount=amount,
                         recommended_product=chosen.product if chosen else None, pre_approved=pre_approved,
                         final=min(pre_approved, amount), sized_class=risk_class.name, by_product=by_product)
