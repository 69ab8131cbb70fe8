"""Score bands and their exceptions (seed 002 §六(三)8, DOMAIN.md §4).

Score >= 80 passes unless a high-score exception sends it to a person; score < 60 is rejected
unless a low-score exception sends it to a person (with the low-score limit cap); in between
a person always decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from riskmodels.policy.facts import ApplicationFacts
from riskmodels.policy.rules import Action, RuleHit, cny, shown
from riskmodels.policy.schema import Policy


@dataclass(frozen=True, slots=True)
class BandOutcome:
    rules: list[RuleHit]
    low_score_exception: bool  # the limit is capped at the low-score cap


def _hit(rule_id: str, action: Action, zh: str, en: str, **evidence: float | str | bool | None) -> RuleHit:
    return RuleHit(id=rule_id, stage="band", action=action, text_zh=zh, text_en=en, evidence=evidence)


def high_score_exceptions(facts: ApplicationFacts, policy: Policy) -> list[RuleHit]:
    rules, hits = policy.bands.high_score_exceptions, []
    if rules.branch_exception_admission:
        hits.append(_hit("HS_BRANCH_EXCEPTION", "review", "分行例外准入客户", "Admitted by a branch exception",
                         branch_exception_admission=True))
    if rules.branch_npl_above_average:
        hits.append(_hit("HS_BRANCH_NPL", "review", "所在分行小微贷款不良率高于全行平均",
                         "Branch small-business NPL ratio above the bank's average", branch_npl_above_average=True))
    if facts.industry in rules.industries_under_warning:
        hits.append(_hit("HS_INDUSTRY_WARNING", "review", f"所属行业（{facts.industry}）出现预警信号",
                         f"Industry {facts.industry} is under an early-warning signal", industry=facts.industry))
    if facts.main_business_share < rules.min_main_business_share_pct:
        hits.append(_hit("HS_MAIN_BUSINESS", "review",
                         f"主营业务收入占比{facts.main_business_share:g}%，低于{rules.min_main_business_share_pct:g}%",
                         f"Main business is {facts.main_business_share:g}% of revenue, under "
                         f"{rules.min_main_business_share_pct:g}%", main_business_share=facts.main_business_share,
                         minimum=rules.min_main_business_share_pct))
    if facts.account_tenure_months < rules.min_account_tenure_months:
        hits.append(_hit("HS_ACCOUNT_TENURE", "review",
                         f"在本行开立结算账户{facts.account_tenure_months:g}个月，不足{rules.min_account_tenure_months:g}个月",
                         f"Account at the bank for {facts.account_tenure_months:g} months, under "
                         f"{rules.min_account_tenure_months:g}", account_tenure_months=facts.account_tenure_months,
                         minimum=rules.min_account_tenure_months))
    if rules.tax_arrears and facts.tax_arrears > 0:
        hits.append(_hit("HS_TAX_ARREARS", "review", "近三年有欠税记录", "Tax arrears within 3 years",
                         tax_arrears=True))
    if facts.requested_amount > rules.max_amount:
        amount = cny(facts.requested_amount), cny(rules.max_amount)
        if rules.above_max_amount == "offer":  # seed 000: the pre-approved limit now, a person for the excess
            hits.append(_hit("HS_AMOUNT", "offer", f"申请金额{amount[0]}元，超过{amount[1]}元：先按预授信额度授信，"
                             f"超出部分转人工审批", f"Amount requested {amount[0]} above {amount[1]}: the pre-approved "
                             "limit is offered at once, the excess goes to a person",
                             requested_amount=facts.requested_amount, maximum=rules.max_amount))
        else:
            hits.append(_hit("HS_AMOUNT", "review", f"申请金额{amount[0]}元，超过{amount[1]}元",
                             f"Amount requested {amount[0]} above {amount[1]}",
                             requested_amount=facts.requested_amount, maximum=rules.max_amount))
    if facts.owner_age <= rules.young_owner_age or facts.owner_age >= rules.senior_owner_age:
        hits.append(_hit("HS_OWNER_AGE", "review",
                         f"经营者年龄{facts.owner_age:g}岁（{rules.young_owner_age:g}岁及以下或{rules.senior_owner_age:g}岁及以上）",
                         f"Owner aged {facts.owner_age:g} ({rules.young_owner_age:g} or under, or "
                         f"{rules.senior_owner_age:g} or over)", owner_age=facts.owner_age))
    return hits


def low_score_exceptions(facts: ApplicationFacts, policy: Policy) -> list[RuleHit]:
    rules, hits = policy.bands.low_score_exceptions, []
    cap = f"额度不超过{cny(rules.limit_cap)}元", f"limit at most {cny(rules.limit_cap)}"
    if rules.government_risk_sharing and facts.government_risk_sharing:
        hits.append(_hit("LS_GOVERNMENT_RISK_SHARING", "review", f"评分较低，但有政府风险分担或贴息：转人工审批，{cap[0]}",
                         f"Low score, but government risk-sharing or interest subsidy: manual review, {cap[1]}",
                         government_risk_sharing=True, limit_cap=rules.limit_cap))
    if facts.owner_financial_assets >= rules.min_owner_financial_assets:
        hits.append(_hit("LS_OWNER_ASSETS", "review",
                         f"评分较低，但经营者金融资产12个月日均{cny(facts.owner_financial_assets)}元：转人工审批，{cap[0]}",
                         f"Low score, but the owner's financial assets average {cny(facts.owner_financial_assets)} "
                         f"over 12 months: manual review, {cap[1]}",
                         owner_financial_assets=facts.owner_financial_assets,
                         minimum=rules.min_owner_financial_assets, limit_cap=rules.limit_cap))
    return hits


def band_rules(score: float, facts: ApplicationFacts, policy: Policy) -> BandOutcome:
    """The band the score falls in and the exceptions that fired, in the policy's order."""
    bands = policy.bands
    shown_score = shown(round(score, 2)) if not math.isnan(score) else None
    if score >= bands.approve_from:
        band = _hit("BAND_HIGH", "approve", f"评分{score:.1f}，不低于{bands.approve_from:g}分：自动通过（无例外情形时）",
                    f"Score {score:.1f} at or above {bands.approve_from:g}: automatic approval unless an "
                    "exception applies",
                    score=shown_score, approve_from=bands.approve_from)
        return BandOutcome([band, *high_score_exceptions(facts, policy)], False)
    if score >= bands.reject_below:
        band = _hit("BAND_MIDDLE", "review", f"评分{score:.1f}，介于{bands.reject_below:g}与{bands.approve_from:g}分之间：人工审批",
                    f"Score {score:.1f} between {bands.reject_below:g} and {bands.approve_from:g}: manual review",
                    score=shown_score, reject_below=bands.reject_below, approve_from=bands.approve_from)
        return BandOutcome([band], False)
    exceptions = low_score_exceptions(facts, policy)
    if exceptions:
        return BandOutcome(exceptions, True)
    band = _hit("BAND_LOW", "reject", f"评分{score:.1f}，低于{bands.reject_below:g}分且无低分挑选情形：自动拒绝",
                f"Score {score:.1f} below {bands.reject_below:g} with no low-score exception: automatic rejection",
                score=shown_score, reject_below=bands.reject_below)
    return BandOutcome([band], False)
