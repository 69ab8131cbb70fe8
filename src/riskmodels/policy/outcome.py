"""The policy's answer for one application: every rule that fired, in order (knock-outs, fraud,
bands and exceptions, limit checks), the decision they make, the limits and the rate.

The decision is the strictest action among the rules: any reject rejects; else any review
sends the application to a person; else the high-score band approves, or offers the
pre-approved limit at once when more was asked (the excess goes to offline due diligence). A rejection carries no
limit and no rate; everything computed on the way stays visible for the reviewer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.policy.bands import band_rules
from riskmodels.policy.facts import ApplicationFacts
from riskmodels.policy.knockouts import fraud_rules, knockouts
from riskmodels.policy.limits import NAMES, LimitDecision, limit_decision
from riskmodels.policy.pricing import PriceQuote, quote_rate
from riskmodels.policy.rules import RuleHit, cny
from riskmodels.policy.schema import Policy

Verdict = Literal["approve", "offer", "review", "reject"]


class PolicyOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Verdict
    risk_class: str
    class_pd: float | None = Field(description="The class's PD (calibrated, or the policy's override)")
    fraud_verdict: str
    rules: list[RuleHit]
    limit: LimitDecision
    pricing: PriceQuote | None = Field(description="None on a rejection")


def fraud_verdict(score: float, model_verdict: str, policy: Policy) -> str:
    """The fraud model's own verdict, unless the policy sets its own bands."""
    bands = policy.fraud
    if bands.pass_score is None or bands.review_score is None:
        return model_verdict
    return "pass" if score >= bands.pass_score else "review" if score >= bands.review_score else "reject"


def _hit(rule_id: str, action: Literal["reject", "review", "offer", "info"], zh: str, en: str,
         **evidence: float | str | bool | None) -> RuleHit:
    return RuleHit(id=rule_id, stage="limit", action=action, text_zh=zh, text_en=en, evidence=evidence)


def limit_rules(facts: ApplicationFacts, limit: LimitDecision, policy: Policy,
                sized_by_a_person: bool = False) -> list[RuleHit]:
    """Checks of the request against what the automated products can lend."""
    hits = []
    chosen = limit.recommended_product
    if sized_by_a_person:  # LIMIT_THIN_DATA said why no product is recommended
        pass
    elif chosen is None:
        why = {p.product: p.failed_admission[0].id if p.failed_admission else "zero_limit" for p in limit.by_product}
        if policy.limits.no_product == "reject":  # seed 002: failing the admission conditions rejects
            hits.append(_hit("LIMIT_NO_PRODUCT", "reject", "没有可自动授信的产品（准入不满足或额度为零）：自动拒绝",
                             "No automated product can lend (admission not met or a zero limit): automatic "
                             "rejection", **why))
        else:
            hits.append(_hit("LIMIT_NO_PRODUCT", "review", "没有可自动授信的产品（准入不满足或额度为零）：转人工",
                             "No automated product can lend (admission not met or a zero limit): manual review", **why))
    elif chosen != limit.requested_product:
        zh, en = NAMES[chosen]
        hits.append(_hit("PRODUCT_SWITCH", "info", f"申请的产品不能足额授信，推荐{zh}", f"The product applied for "
                         f"cannot lend the amount asked; the {en} is recommended instead",
                         requested_product=limit.requested_product, recommended_product=chosen))
    if 0 < limit.pre_approved < limit.requested_amount:
        # Seed 000 §四-五: the pre-approved limit is offered at once; only the excess waits for
        # offline due diligence (a score in the grey zone still sends everything to a person).
        hits.append(_hit("LIMIT_ABOVE_PREAPPROVED", "offer",
                         f"申请金额{cny(limit.requested_amount)}元高于预授信额度{cny(limit.pre_approved)}元："
                         f"先按预授信额度{cny(limit.pre_approved)}元授信，超出部分转线下尽调",
                         f"Amount requested {cny(limit.requested_amount)} above the pre-approved "
                         f"{cny(limit.pre_approved)}: the pre-approved limit is offered at once, the excess goes to "
                         f"offline due diligence", requested_amount=limit.requested_amount,
                         pre_approved=limit.pre_approved))
    product = chosen or limit.requested_product
    max_term = next((p.max_term_months for p in limit.by_product if p.product == product), None)
    if max_term is not None and facts.requested_term_months > max_term:
        hits.append(_hit("REQ_TERM", "review",
                         f"申请期限{facts.requested_term_months:g}个月，超过产品最长{max_term}个月：转人工",
                         f"Term requested {facts.requested_term_months:g} months, over the product's "
                         f"{max_term}: manual review", requested_term_months=facts.requested_term_months,
                         max_term_months=max_term))
    if facts.collateral_type not in (None, "none"):
        hits.append(_hit("REQ_SECURED", "review",
                         f"申请以{facts.collateral_type}作担保，抵押担保类贷款不在自动审批产品范围内：转人工；"
                         f"自动化产品可提供的信用额度为{cny(limit.pre_approved)}元",
                         f"Secured request ({facts.collateral_type}): collateral-based lending is outside the "
                         f"automated products and goes to a person; the unsecured limit is {cny(limit.pre_approved)}",
                         collateral_type=facts.collateral_type, unsecured_limit=limit.pre_approved))
    return hits


def decision_of(rules: list[RuleHit]) -> Verdict:
    actions = {rule.action for rule in rules}
    if "reject" in actions:
        return "reject"
    if "review" in actions or "approve" not in actions:  # no approving band: never approve by default
        return "review"
    return "offer" if "offer" in actions else "approve"


def _thin_data_rule(score: float, limit_score: float, low_score_exception: bool, policy: Policy) -> RuleHit | None:
    """When the missing sources, held at their worst, would put the score under the reject line
    (the score itself is above it) and no low-score exception would let such a score through:
    no automated limit, a person sizes the loan (``limits.thin_data: review``); or, with
    ``low_score_cap``, a limit sized in that score's class under the low-score cap, explained."""
    line = policy.bands.reject_below
    if low_score_exception or not limit_score < line <= score:
        return None
    if policy.limits.thin_data == "low_score_cap":
        cap = policy.bands.low_score_exceptions.limit_cap
        return _hit("LIMIT_THIN_DATA", "info",
                    f"缺失数据源按最差档位计分后评分{limit_score:.1f}，低于拒绝线{line:g}：额度按该评分的等级核定，"
                    f"不超过{cny(cap)}元",
                    f"With its missing sources at their worst bins the score is {limit_score:.1f}, under the reject "
                    f"line of {line:g}: the limit is sized in that score's class, at most {cny(cap)}",
                    limit_score=round(limit_score, 4), reject_below=line, limit_cap=cap)
    return _hit("LIMIT_THIN_DATA", "review",
                f"缺失数据源按最差档位计分后评分{limit_score:.1f}，低于拒绝线{line:g}：不自动核定额度，转人工",
                f"With its missing sources at their worst bins the score is {limit_score:.1f}, under the reject "
                f"line of {line:g}: no automated limit, a person sizes the loan",
                limit_score=round(limit_score, 4), reject_below=line)


def apply_policy(facts: ApplicationFacts, score: float, applicant_pd: float, fraud_score: float,
                 model_fraud_verdict: str, policy: Policy, limit_score: float | None = None,
                 limit_pd: float | None = None) -> PolicyOutcome:
    """Knock-outs -> fraud -> bands and exceptions -> limits and rate -> limit checks -> decision.

    ``limit_score`` and ``limit_pd``: the score and PD limits are sized on (the caller's A card
    with the missing sources of ``policy.limits.sized_with_missing_at_worst`` at their worst
    bins; by default the score and PD themselves). Its class sets the class cap and multiples
    and its PD the rate the debt service is tested at, so removing a source never raises a limit.
    """
    risk_class = policy.risk_class(score)
    verdict = fraud_verdict(fraud_score, model_fraud_verdict, policy)
    bands = band_rules(score, facts, policy)
    pricing = quote_rate(risk_class, applicant_pd, policy)
    sized_score = score if limit_score is None else min(limit_score, score)
    sized_class = policy.risk_class(sized_score)
    # The general credit's debt service is tested at the rate of the PD limits are sized on
    # (never below the rate quoted).
    sized_pd = applicant_pd if limit_pd is None else max(limit_pd, applicant_pd)
    sized_rate = pricing.rate_pct if sized_pd == applicant_pd and sized_class == risk_class else max(
        pricing.rate_pct, quote_rate(sized_class, sized_pd, policy).rate_pct)
    # A limit score under the reject line is sized as that low score would be: under the
    # low-score cap when an exception lets it through or the policy sizes thin data so
    # (limits.thin_data), else by a person (LIMIT_THIN_DATA).
    under_line = sized_score < score and sized_score < policy.bands.reject_below
    sized_exception = under_line and band_rules(sized_score, facts, policy).low_score_exception
    capped = sized_exception or (under_line and policy.limits.thin_data == "low_score_cap")
    low_cap = policy.bands.low_score_exceptions.limit_cap if bands.low_score_exception or capped else None
    limit = limit_decision(facts, sized_class, sized_rate, low_cap, policy)
    thin = _thin_data_rule(score, sized_score, sized_exception, policy)
    by_a_person = thin is not None and thin.action == "review"
    if by_a_person:
        limit = limit.model_copy(update={"recommended_product": None, "pre_approved": 0.0, "final": 0.0})
    rules = [*knockouts(facts, policy), *fraud_rules(fraud_score, verdict, policy), *bands.rules,
             *([thin] if thin else []), *limit_rules(facts, limit, policy, sized_by_a_person=by_a_person)]
    decision = decision_of(rules)
    if decision == "reject":
        limit = limit.model_copy(update={"recommended_product": None, "pre_approved": 0.0, "final": 0.0})
    return PolicyOutcome(decision=decision, risk_class=risk_class.name, class_pd=risk_class.effective_pd,
                         fraud_verdict=verdict, rules=rules, limit=limit,
                         pricing=None if decision == "reject" else pricing)
