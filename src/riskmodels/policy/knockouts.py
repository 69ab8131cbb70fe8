"""Knock-out rules (自动拒绝, DOMAIN.md §4): any of them rejects, whatever the score.

A missing source never fires a rule: no enterprise credit report is not a bad record in it.
"""

from __future__ import annotations

from riskmodels.policy.facts import ApplicationFacts
from riskmodels.policy.rules import Evidence, RuleHit, shown
from riskmodels.policy.schema import Policy

FraudVerdict = str  # "pass", "review" or "reject"


def _hit(rule_id: str, zh: str, en: str, **evidence: float | str | bool | None) -> RuleHit:
    return RuleHit(id=rule_id, stage="knockout", action="reject", text_zh=zh, text_en=en, evidence=evidence)


def knockouts(facts: ApplicationFacts, policy: Policy) -> list[RuleHit]:
    """The knock-out rules that fire, in the policy's order."""
    rules, hits = policy.knockouts, []
    if rules.blacklist and facts.blacklist_hit:
        hits.append(_hit("KO_BLACKLIST", "企业或企业主在人民银行或本行黑名单中",
                         "Business or owner on a central-bank or bank blacklist", blacklist_hit=True))
    if facts.registry_status not in rules.allowed_registry_statuses:
        hits.append(_hit("KO_REGISTRY_STATUS", f"工商登记状态为{facts.registry_status}（经营异常或吊销）",
                         f"Registry status is {facts.registry_status} (abnormal-operation list or revoked)",
                         registry_status=facts.registry_status))
    if rules.environmental_violation and facts.environmental_violation:
        hits.append(_hit("KO_ENVIRONMENTAL", "存在环保违法记录", "Environmental violation on record",
                         environmental_violation=True))
    bureau = rules.personal_bureau
    if facts.pb_overdue_le30_24m > bureau.max_overdues_le30_24m:
        hits.append(_hit("KO_PERSONAL_OVERDUES",
                         f"个人征信近2年30天以内逾期{facts.pb_overdue_le30_24m:g}次，超过{bureau.max_overdues_le30_24m:g}次",
                         f"Personal credit report: {facts.pb_overdue_le30_24m:g} overdues of up to 30 days "
                         f"in 24 months "
                         f"(at most {bureau.max_overdues_le30_24m:g} allowed)",
                         pb_overdue_le30_24m=facts.pb_overdue_le30_24m, max_allowed=bureau.max_overdues_le30_24m))
    if facts.pb_max_dpd_24m > bureau.max_dpd_24m:
        hits.append(_hit("KO_PERSONAL_DPD",
                         f"个人征信近2年有逾期超过{bureau.max_dpd_24m:g}天的记录（最长{facts.pb_max_dpd_24m:g}天）",
                         f"Personal credit report: an overdue of {facts.pb_max_dpd_24m:g} days in 24 months "
                         f"(none over {bureau.max_dpd_24m:g} allowed)",
                         pb_max_dpd_24m=facts.pb_max_dpd_24m, max_allowed=bureau.max_dpd_24m))
    if rules.enterprise_bad_record and facts.eb_bad_record_3y:
        hits.append(_hit("KO_ENTERPRISE_BAD_RECORD", "企业征信近3年有不良信用记录",
                         "Bad record in the enterprise credit report within 3 years", eb_bad_record_3y=True))
    if facts.industry in rules.prohibited_industries:
        hits.append(_hit("KO_PROHIBITED_INDUSTRY", f"所属行业（{facts.industry}）为禁止准入行业",
                         f"Industry {facts.industry} is prohibited by the credit policy", industry=facts.industry))
    if not rules.min_owner_age <= facts.owner_age <= rules.max_owner_age:
        hits.append(_hit("KO_OWNER_AGE",
                         f"经营者年龄{facts.owner_age:g}岁，不在准入范围{rules.min_owner_age:g}-{rules.max_owner_age:g}岁内",
                         f"Owner aged {facts.owner_age:g}, outside the admission range "
                         f"{rules.min_owner_age:g}-{rules.max_owner_age:g}",
                         owner_age=shown(facts.owner_age), min_age=rules.min_owner_age, max_age=rules.max_owner_age))
    return hits


def fraud_rules(score: float, verdict: FraudVerdict, policy: Policy) -> list[RuleHit]:
    """The fraud stage: reject band (a knock-out) or review band."""
    evidence: Evidence = {"fraud_score": round(score, 2), "fraud_verdict": verdict}
    if verdict == "reject" and policy.knockouts.fraud_reject:
        return [RuleHit(id="KO_FRAUD", stage="fraud", action="reject", text_zh="反欺诈评分处于拒绝区间",
                        text_en="Fraud score in the reject band", evidence=evidence)]
    if verdict in ("review", "reject"):  # a reject band switched off still needs a person
        return [RuleHit(id="FRAUD_REVIEW", stage="fraud", action="review", text_zh="反欺诈评分处于人工核查区间",
                        text_en="Fraud score in the review band: identity and documents checked by a person",
                        evidence=evidence)]
    return []
