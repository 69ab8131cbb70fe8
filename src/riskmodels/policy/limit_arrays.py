"""Limits by product on arrays: the vectorised twin of ``riskmodels.policy.limits``.

Each product gives, per row, its limit, the constraint that bound it or the first admission
rule it failed, in the order ``product_limit`` checks them; ``limit_arrays`` then picks the
pre-approved limit and the recommended product as ``limit_decision`` does (ties to the
contract's product order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from riskmodels.contract import PRODUCTS
from riskmodels.policy.arrays import FactArrays, FloatArray, ObjectArray, is_none, isin, py_max, py_min
from riskmodels.policy.schema import Policy

# (rule id, fails) in the order the scalar rules list them; the first failing one is the reason.
Failures = list[tuple[str, np.ndarray]]
# (constraint name or per-row names, amount): the product's own constraints, in order.
Own = list[tuple[str | ObjectArray, FloatArray]]


@dataclass(frozen=True)
class ProductArrays:
    product: str
    limit: FloatArray  # 0 when not eligible
    reason: ObjectArray  # the binding constraint, or the first failed admission rule
    eligible: np.ndarray
    max_term_months: int


@dataclass(frozen=True)
class LimitArrays:
    """``LimitDecision`` as columns (products by index into ``by_product``)."""

    requested_amount: FloatArray
    recommended: np.ndarray  # index into by_product, -1 for none
    pre_approved: FloatArray
    final: FloatArray
    by_product: list[ProductArrays]


def _below(value: FloatArray, minimum: float) -> np.ndarray:
    return ~(value >= minimum)  # NaN fails, as ``_below``


def round_down(amount: FloatArray, step: float) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return np.where(amount > 0, np.floor(amount / step + 1e-9) * step, 0.0)


def debt_service_capacity(payment: FloatArray, rate_pct: FloatArray, term: FloatArray, repayment: str) -> FloatArray:
    """``limits.debt_service_capacity``; the power is taken by Python once per distinct
    (rate, term), as the scalar path takes it."""
    monthly_rate = rate_pct / 100 / 12
    out = np.zeros(payment.shape)
    positive = payment > 0
    free = positive & (monthly_rate <= 0)
    out[free] = payment[free] * term[free] if repayment == "amortising" else math.inf
    rated = positive & (monthly_rate > 0)
    if repayment == "interest_only":
        out[rated] = payment[rated] / monthly_rate[rated]
        return out
    pairs = np.column_stack([monthly_rate[rated], term[rated]])
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    discount = np.array([(1 + float(r)) ** -float(t) for r, t in unique])
    r = monthly_rate[rated]
    out[rated] = payment[rated] * (1 - discount[inverse.reshape(-1)]) / r
    return out


def _general_credit(f: FactArrays, classes: np.ndarray, rate: FloatArray, policy: Policy) -> tuple[Failures, Own]:
    cfg = policy.products.general_credit
    failures = [("GC_NO_FLOW", np.isnan(f.flow_mean_inflow)),
                ("GC_YEARS_IN_BUSINESS", _below(f.years_in_business, cfg.min_years_in_business)),
                ("GC_OWNER_EXPERIENCE", _below(f.owner_experience_years, cfg.min_owner_experience_years))]
    term = py_min(f.requested_term_months, float(cfg.max_term_months))
    debt = np.where(np.isnan(f.bureau_outstanding_debt), 0.0, f.bureau_outstanding_debt)
    payment = cfg.debt_service.net_flow_share * f.monthly_net_flow()
    capacity = debt_service_capacity(payment, rate, term, cfg.debt_service.repayment)
    months = np.array([c.inflow_months for c in policy.classes])[classes]
    return failures, [("inflow_months", months * f.flow_mean_inflow), ("debt_service", capacity - debt)]


def _pos_loan(f: FactArrays, classes: np.ndarray, rate: FloatArray, policy: Policy) -> tuple[Failures, Own]:
    cfg = policy.products.pos_loan
    no_data = np.isnan(f.pos_volume_12m)
    failures = [("POS_NO_DATA", no_data)] + [
        (rule, ~no_data & _below(value, minimum)) for rule, value, minimum in (
            ("POS_YEARS_IN_BUSINESS", f.years_in_business, cfg.min_years_in_business),
            ("POS_TENURE", f.pos_tenure_months, cfg.min_pos_tenure_months),
            ("POS_ACTIVE_MONTHS", f.pos_active_months, cfg.min_active_months),
            ("POS_VOLUME", f.pos_volume_12m, cfg.min_volume_12m),
            ("POS_COUNT", f.pos_count_12m, cfg.min_count_12m))]
    share = np.array([cfg.best_class_share if c.name in cfg.best_classes else cfg.volume_share
                      for c in policy.classes])[classes]
    return failures, [("pos_volume_share", share * f.pos_volume_12m)]


def _tax_loan(f: FactArrays, classes: np.ndarray, rate: FloatArray, policy: Policy) -> tuple[Failures, Own]:
    cfg = policy.products.tax_loan
    grade = f.tax_grade
    no_data = np.isnan(f.tax_mean_yearly) | is_none(grade)
    grade_ok = isin(grade, cfg.grades) | (isin(grade, cfg.grades_without_penalties) & (f.tax_penalties == 0))
    failures = [("TAX_NO_DATA", no_data), ("TAX_GRADE", ~no_data & ~grade_ok),
                ("TAX_YEARS_IN_BUSINESS", ~no_data & _below(f.years_in_business, cfg.min_years_in_business)),
                ("TAX_AMOUNT", ~no_data & _below(f.tax_mean_yearly, cfg.min_tax_mean_yearly))]
    return failures, [("tax_multiple", cfg.tax_multiple * f.tax_mean_yearly),
                      ("sales_share", cfg.sales_share * f.tax_sales_last_year)]


def _flow_loan(f: FactArrays, classes: np.ndarray, rate: FloatArray, policy: Policy) -> tuple[Failures, Own]:
    cfg = policy.products.flow_loan
    balance, inflow = f.flow_avg_daily_balance, f.flow_annual_inflow
    no_data = np.isnan(balance) | np.isnan(inflow)
    volume_ok = (inflow >= cfg.min_annual_inflow) | (balance >= cfg.min_avg_daily_balance)
    failures = [("FLOW_NO_DATA", no_data),
                ("FLOW_ACCOUNT_TENURE", ~no_data & _below(f.account_tenure_months, cfg.min_account_tenure_months)),
                ("FLOW_TXN_COUNT", ~no_data & _below(f.flow_txn_count_12m, cfg.min_txn_count_12m)),
                ("FLOW_VOLUME", ~no_data & ~volume_ok)]
    # flow_balance_limit: max(min(small x balance, small_max), large x balance)
    limit = py_max(py_min(cfg.small_loan_balance_multiple * balance, cfg.small_loan_max),
                   cfg.large_loan_balance_multiple * balance)
    return failures, [("balance_multiple", limit)]


def _platform_loan(f: FactArrays, classes: np.ndarray, rate: FloatArray, policy: Policy) -> tuple[Failures, Own]:
    cfg = policy.products.platform_loan
    no_data = np.isnan(f.platform_agent_months)
    commissions = py_min(cfg.commission_share * f.platform_commissions_12m,
                         cfg.forecast_share * f.platform_commission_forecast_12m)
    steady = (f.platform_max_order_gap_days <= cfg.max_order_gap_days) & (
        f.platform_max_month_share <= cfg.max_month_share)
    orders = np.where(steady, cfg.order_share * f.platform_orders_12m, np.nan)
    # The larger known formula; the first (commissions) on a tie.
    use_orders = ~np.isnan(orders) & (np.isnan(commissions) | (orders > commissions))
    failures = [("PLATFORM_NO_DATA", no_data),
                ("PLATFORM_AGENT_MONTHS", ~no_data & _below(f.platform_agent_months, cfg.min_agent_months)),
                ("PLATFORM_NO_EVIDENCE", ~no_data & np.isnan(commissions) & np.isnan(orders))]
    names = np.where(use_orders, "platform_orders", "platform_commissions").astype(object)
    return failures, [(names, np.where(use_orders, orders, commissions))]


RULES = {"general_credit": _general_credit, "pos_loan": _pos_loan, "tax_loan": _tax_loan,
         "flow_loan": _flow_loan, "platform_loan": _platform_loan}


def product_arrays(product: str, f: FactArrays, classes: np.ndarray, rate: FloatArray,
                   low_score_capped: np.ndarray, policy: Policy) -> ProductArrays:
    """``product_limit`` for every row."""
    cfg = getattr(policy.products, product)
    n = f.n
    if not cfg.enabled:
        return ProductArrays(product, np.zeros(n), np.full(n, "PRODUCT_DISABLED", dtype=object),
                             np.zeros(n, dtype=bool), cfg.max_term_months)
    failures, own = RULES[product](f, classes, rate, policy)
    reason = np.full(n, None, dtype=object)
    for rule, fails in reversed(failures):  # the first failing rule is written last
        reason[fails] = rule
    eligible = is_none(reason)
    # _common, then the product's own: absent constraints (and unbounded ones) are +inf.
    sales = f.annual_sales()
    debt = np.where(np.isnan(f.bureau_outstanding_debt), 0.0, f.bureau_outstanding_debt)
    class_caps = np.array([c.limit_cap for c in policy.classes], dtype=float)[classes]
    candidates: list[tuple[str | ObjectArray, FloatArray, np.ndarray]] = [
        ("product_cap", np.full(n, float(cfg.cap)), np.ones(n, dtype=bool)),
        ("class_cap", class_caps, np.ones(n, dtype=bool)),
        ("low_score_cap", np.full(n, float(policy.bands.low_score_exceptions.limit_cap)), low_score_capped),
        ("debt_to_sales", policy.limits.max_debt_to_sales * sales - debt, ~np.isnan(sales)),
        *((name, value, np.ones(n, dtype=bool)) for name, value in own)]
    amounts = np.empty((n, len(candidates)))
    for j, (_, value, present) in enumerate(candidates):
        held = np.where(np.isnan(value), 0.0, py_max(value, 0.0))
        amounts[:, j] = np.where(present & (value != math.inf), held, math.inf)
    binding = np.argmin(amounts, axis=1)  # the first of equals, as min() over the dict
    bound = amounts[np.arange(n), binding]
    limit = np.where(eligible, round_down(bound, policy.limits.rounding_step), 0.0)
    for j, (name, _, _) in enumerate(candidates):
        at = eligible & (binding == j)
        reason[at] = name if isinstance(name, str) else name[at]
    return ProductArrays(product, limit, reason, eligible, cfg.max_term_months)


def limit_arrays(f: FactArrays, classes: np.ndarray, rate: FloatArray, low_score_capped: np.ndarray,
                 policy: Policy) -> LimitArrays:
    """``limit_decision`` for every row: each product, the largest limit and the product that lends it."""
    by_product = [product_arrays(p, f, classes, rate, low_score_capped, policy) for p in PRODUCTS]
    limits = np.column_stack([p.limit for p in by_product])
    lending = np.column_stack([p.eligible for p in by_product]) & (limits > 0)
    amount = np.where(np.isnan(f.requested_amount), 0.0, f.requested_amount)
    offered = np.where(lending, limits, -np.inf)
    largest = np.argmax(offered, axis=1)  # ties: the contract's product order
    any_lending = lending.any(axis=1)
    recommended = np.where(any_lending, largest, -1)
    for i, product in enumerate(PRODUCTS):  # the requested product, if it lends the amount asked
        recommended = np.where(lending[:, i] & np.equal(f.product, product) & (limits[:, i] >= amount), i,
                               recommended)
    pre_approved = np.where(any_lending, offered[np.arange(f.n), largest], 0.0)
    return LimitArrays(amount, recommended, pre_approved, py_min(pre_approved, amount), by_product)
