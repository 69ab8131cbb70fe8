"""The policy's answer on arrays: the vectorised twin of ``apply_policy``.

Every rule ``apply_policy`` can fire is a column of a boolean matrix, in the one order the
scalar path lists them (knock-outs, fraud, band and its exceptions, thin data, limit checks;
the bands' alternatives never fire together, so one order serves every row). The decision is
then the strictest action among each row's fired rules, as ``decision_of`` takes it. Rule texts
and evidence are the scalar path's business: a frame carries the ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskmodels.contract import PRODUCTS
from riskmodels.policy.arrays import (
    BoolArray,
    FactArrays,
    FloatArray,
    ObjectArray,
    class_index,
    isin,
    py_max,
    py_min,
    quote_rates,
)
from riskmodels.policy.limit_arrays import LimitArrays, limit_arrays
from riskmodels.policy.schema import Policy


@dataclass(frozen=True)
class RuleColumns:
    """The rules that fired, one column per rule id, in the scalar path's order."""

    ids: tuple[str, ...]
    actions: tuple[str, ...]
    fired: BoolArray  # rows x rules

    def of_action(self, action: str) -> BoolArray:
        columns = [i for i, a in enumerate(self.actions) if a == action]
        return np.asarray(self.fired[:, columns].any(axis=1), dtype=bool)


@dataclass(frozen=True)
class OutcomeArrays:
    """``PolicyOutcome`` as columns."""

    decision: ObjectArray
    risk_class: np.ndarray  # index into policy.classes
    sized_class: np.ndarray
    fraud_verdict: ObjectArray
    rules: RuleColumns
    limit: LimitArrays  # recommended/pre-approved/final as after the decision
    rate: FloatArray  # NaN on a rejection

    def deciding_rule(self) -> ObjectArray:
        """The first fired rule whose action is the decision (``application.deciding_rule``)."""
        match = np.zeros_like(self.rules.fired)
        for action in set(self.rules.actions):
            columns = np.array([a == action for a in self.rules.actions])
            match |= self.rules.fired & columns[None, :] & (self.decision == action)[:, None]
        first, found = np.argmax(match, axis=1), match.any(axis=1)
        out = np.full(len(first), None, dtype=object)
        out[found] = np.array(self.rules.ids, dtype=object)[first[found]]
        return out


def fraud_verdicts(score: FloatArray, model_verdict: ObjectArray, policy: Policy) -> ObjectArray:
    """``outcome.fraud_verdict`` for every row."""
    bands = policy.fraud
    if bands.pass_score is None or bands.review_score is None:
        return np.asarray(model_verdict, dtype=object)
    return np.where(score >= bands.pass_score, "pass", np.where(score >= bands.review_score, "review", "reject")
                    ).astype(object)


def _knockouts(f: FactArrays, policy: Policy) -> list[tuple[str, str, BoolArray]]:
    rules, bureau = policy.knockouts, policy.knockouts.personal_bureau
    return [("KO_BLACKLIST", "reject", f.blacklist_hit & rules.blacklist),
            ("KO_REGISTRY_STATUS", "reject", ~isin(f.registry_status, rules.allowed_registry_statuses)),
            ("KO_ENVIRONMENTAL", "reject", f.environmental_violation & rules.environmental_violation),
            ("KO_PERSONAL_OVERDUES", "reject", f.pb_overdue_le30_24m > bureau.max_overdues_le30_24m),
            ("KO_PERSONAL_DPD", "reject", f.pb_max_dpd_24m > bureau.max_dpd_24m),
            ("KO_ENTERPRISE_BAD_RECORD", "reject", f.eb_bad_record_3y & rules.enterprise_bad_record),
            ("KO_PROHIBITED_INDUSTRY", "reject", isin(f.industry, rules.prohibited_industries)),
            ("KO_OWNER_AGE", "reject", ~((rules.min_owner_age <= f.owner_age) & (f.owner_age <= rules.max_owner_age)))]


def _fraud(score: FloatArray, verdict: ObjectArray, policy: Policy) -> list[tuple[str, str, BoolArray]]:
    knocked = (verdict == "reject") & policy.knockouts.fraud_reject
    return [("KO_FRAUD", "reject", knocked),
            ("FRAUD_REVIEW", "review", ~knocked & ((verdict == "review") | (verdict == "reject")))]


def _low_score_exceptions(f: FactArrays, policy: Policy) -> list[tuple[str, str, BoolArray]]:
    rules = policy.bands.low_score_exceptions
    return [("LS_GOVERNMENT_RISK_SHARING", "review", f.government_risk_sharing & rules.government_risk_sharing),
            ("LS_OWNER_ASSETS", "review", f.owner_financial_assets >= rules.min_owner_financial_assets)]


def _is_low(score: FloatArray, policy: Policy) -> BoolArray:
    return ~(score >= policy.bands.approve_from) & ~(score >= policy.bands.reject_below)


def _bands(score: FloatArray, f: FactArrays, policy: Policy) -> tuple[list[tuple[str, str, BoolArray]], BoolArray]:
    """``band_rules``: the rules, and where a low-score exception let the score through."""
    bands, hs = policy.bands, policy.bands.high_score_exceptions
    high = score >= bands.approve_from
    middle = ~high & (score >= bands.reject_below)
    low = _is_low(score, policy)
    exceptions = [(rule, action, low & fires) for rule, action, fires in _low_score_exceptions(f, policy)]
    excepted = np.logical_or.reduce([fires for _, _, fires in exceptions])
    ones = np.ones(f.n, dtype=bool)
    rules = [("BAND_HIGH", "approve", high),
             ("HS_BRANCH_EXCEPTION", "review", high & hs.branch_exception_admission),
             ("HS_BRANCH_NPL", "review", high & hs.branch_npl_above_average),
             ("HS_INDUSTRY_WARNING", "review", high & isin(f.industry, hs.industries_under_warning)),
             ("HS_MAIN_BUSINESS", "review", high & (f.main_business_share < hs.min_main_business_share_pct)),
             ("HS_ACCOUNT_TENURE", "review", high & (f.account_tenure_months < hs.min_account_tenure_months)),
             ("HS_TAX_ARREARS", "review", high & hs.tax_arrears & (f.tax_arrears > 0)),
             ("HS_AMOUNT", "offer" if hs.above_max_amount == "offer" else "review",
              high & (f.requested_amount > hs.max_amount)),
             ("HS_OWNER_AGE", "review", high & ((f.owner_age <= hs.young_owner_age) | (f.owner_age >= hs.senior_owner_age))),
             ("BAND_MIDDLE", "review", middle & ones),
             *exceptions,
             ("BAND_LOW", "reject", low & ~excepted)]
    return rules, excepted


def _limit_rules(f: FactArrays, limit: LimitArrays, by_a_person: BoolArray,
                 policy: Policy) -> list[tuple[str, str, BoolArray]]:
    """``limit_rules``: checks of the request against what the products lend."""
    chosen = limit.recommended
    products = np.array(PRODUCTS, dtype=object)
    switched = (chosen >= 0) & ~np.equal(products[chosen], f.product)
    # The product whose term is checked: the recommended one, else the one asked for.
    max_terms = np.array([p.max_term_months for p in limit.by_product], dtype=float)
    asked = np.full(f.n, np.nan)
    for i, product in enumerate(PRODUCTS):
        asked[np.equal(f.product, product)] = max_terms[i]
    max_term = np.where(chosen >= 0, max_terms[chosen], asked)
    return [("LIMIT_NO_PRODUCT", policy.limits.no_product, ~by_a_person & (chosen < 0)),
            ("PRODUCT_SWITCH", "info", ~by_a_person & switched),
            ("LIMIT_ABOVE_PREAPPROVED", "offer", (limit.pre_approved > 0) & (limit.pre_approved < limit.requested_amount)),
            ("REQ_TERM", "review", f.requested_term_months > max_term),
            ("REQ_SECURED", "review", ~isin(f.collateral_type, (None, "none")))]


def _cleared(limit: LimitArrays, rows: BoolArray) -> LimitArrays:
    """The limit with no product, pre-approved or final on ``rows`` (a person sizes, or rejected)."""
    return LimitArrays(limit.requested_amount, np.where(rows, -1, limit.recommended),
                       np.where(rows, 0.0, limit.pre_approved), np.where(rows, 0.0, limit.final), limit.by_product)


def decisions(rules: RuleColumns) -> ObjectArray:
    """``decision_of`` for every row: reject, else review (also without an approving band), else offer or approve."""
    reject, review = rules.of_action("reject"), rules.of_action("review")
    approve, offer = rules.of_action("approve"), rules.of_action("offer")
    return np.where(reject, "reject", np.where(review | ~approve, "review", np.where(offer, "offer", "approve"))
                    ).astype(object)


def apply_policy_arrays(f: FactArrays, score: FloatArray, applicant_pd: FloatArray, fraud_score: FloatArray,
                        model_verdict: ObjectArray, policy: Policy, limit_score: FloatArray,
                        limit_pd: FloatArray) -> OutcomeArrays:
    """``apply_policy`` for every row, step for step (see its docstring for the why of each)."""
    classes = class_index(score, policy)
    verdict = fraud_verdicts(fraud_score, model_verdict, policy)
    band_rules, excepted = _bands(score, f, policy)
    rate = quote_rates(classes, applicant_pd, policy)
    sized_score = py_min(limit_score, score)
    sized_classes = class_index(sized_score, policy)
    sized_pd = py_max(limit_pd, applicant_pd)
    repriced = (sized_pd != applicant_pd) | (sized_classes != classes)
    sized_rate = np.where(repriced, py_max(rate, quote_rates(sized_classes, sized_pd, policy)), rate)
    line = policy.bands.reject_below
    under_line = (sized_score < score) & (sized_score < line)
    any_exception = np.logical_or.reduce([fires for _, _, fires in _low_score_exceptions(f, policy)])
    sized_exception = under_line & _is_low(sized_score, policy) & any_exception
    capped = sized_exception | (under_line & (policy.limits.thin_data == "low_score_cap"))
    limit = limit_arrays(f, sized_classes, sized_rate, excepted | capped, policy)
    thin = ~sized_exception & (sized_score < line) & (line <= score)
    thin_action = "info" if policy.limits.thin_data == "low_score_cap" else "review"
    by_a_person = thin & (thin_action == "review")
    limit = _cleared(limit, by_a_person)
    listed = [*_knockouts(f, policy), *_fraud(fraud_score, verdict, policy), *band_rules,
              ("LIMIT_THIN_DATA", thin_action, thin), *_limit_rules(f, limit, by_a_person, policy)]
    rules = RuleColumns(tuple(r for r, _, _ in listed), tuple(a for _, a, _ in listed),
                        np.column_stack([np.broadcast_to(fires, (f.n,)) for _, _, fires in listed]))
    decision = decisions(rules)
    rejected = decision == "reject"
    return OutcomeArrays(decision, classes, sized_classes, verdict, rules, _cleared(limit, rejected),
                         np.where(rejected, np.nan, rate))
