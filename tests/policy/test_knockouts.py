"""Each knock-out fires at its boundary and not below it, with its evidence; fraud bands."""

from __future__ import annotations

import pytest

from riskmodels.policy.knockouts import fraud_rules, knockouts
from riskmodels.policy.outcome import fraud_verdict

NAN = float("nan")


def fired(facts, policy) -> list[str]:
    return [hit.id for hit in knockouts(facts, policy)]


def test_a_clean_file_fires_nothing(facts, policy) -> None:
    assert fired(facts(), policy) == []


@pytest.mark.parametrize(("change", "rule", "evidence"), [
    ({"blacklist_hit": True}, "KO_BLACKLIST", {"blacklist_hit": True}),
    ({"registry_status": "abnormal"}, "KO_REGISTRY_STATUS", {"registry_status": "abnormal"}),
    ({"registry_status": "revoked"}, "KO_REGISTRY_STATUS", {"registry_status": "revoked"}),
    ({"environmental_violation": True}, "KO_ENVIRONMENTAL", {"environmental_violation": True}),
    ({"pb_overdue_le30_24m": 7.0}, "KO_PERSONAL_OVERDUES", {"pb_overdue_le30_24m": 7.0, "max_allowed": 6}),
    ({"pb_max_dpd_24m": 31.0}, "KO_PERSONAL_DPD", {"pb_max_dpd_24m": 31.0, "max_allowed": 30}),
    ({"eb_bad_record_3y": True}, "KO_ENTERPRISE_BAD_RECORD", {"eb_bad_record_3y": True}),
    ({"industry": "mining"}, "KO_PROHIBITED_INDUSTRY", {"industry": "mining"}),
    ({"owner_age": 71.0}, "KO_OWNER_AGE", {"owner_age": 71.0, "min_age": 18, "max_age": 70}),
    ({"owner_age": 17.0}, "KO_OWNER_AGE", {"owner_age": 17.0, "min_age": 18, "max_age": 70}),
])
def test_each_knockout_with_its_evidence(facts, policy, change: dict, rule: str, evidence: dict) -> None:
    (hit,) = knockouts(facts(**change), policy)
    assert (hit.id, hit.stage, hit.action, hit.evidence) == (rule, "knockout", "reject", evidence)
    assert hit.text_zh and hit.text_en


@pytest.mark.parametrize("change", [
    {"pb_overdue_le30_24m": 6.0}, {"pb_max_dpd_24m": 30.0}, {"owner_age": 70.0}, {"owner_age": 18.0},
    {"eb_bad_record_3y": None}, {"eb_bad_record_3y": False}, {"industry": "manufacturing"},
])
def test_at_the_boundary_or_without_the_source_nothing_fires(facts, policy, change: dict) -> None:
    assert fired(facts(**change), policy) == []


def test_rules_fire_together_in_the_policys_order(facts, policy) -> None:
    many = facts(blacklist_hit=True, registry_status="revoked", pb_max_dpd_24m=90.0, industry="mining")
    assert fired(many, policy) == ["KO_BLACKLIST", "KO_REGISTRY_STATUS", "KO_PERSONAL_DPD", "KO_PROHIBITED_INDUSTRY"]


def test_rules_can_be_switched_and_lists_edited(facts, tuned) -> None:
    relaxed = tuned(**{"knockouts.environmental_violation": False, "knockouts.prohibited_industries": [],
                       "knockouts.allowed_registry_statuses": ["active", "abnormal"],
                       "knockouts.personal_bureau.max_overdues_le30_24m": 10})
    assert fired(facts(environmental_violation=True, industry="mining", registry_status="abnormal",
                       pb_overdue_le30_24m=8.0), relaxed) == []


def test_fraud_bands(policy, tuned) -> None:
    assert fraud_rules(85.0, "pass", policy) == []
    (review,) = fraud_rules(55.0, "review", policy)
    (reject,) = fraud_rules(20.0, "reject", policy)
    assert (review.id, review.stage, review.action) == ("FRAUD_REVIEW", "fraud", "review")
    assert (reject.id, reject.action, reject.evidence) == ("KO_FRAUD", "reject", {"fraud_score": 20.0,
                                                                                   "fraud_verdict": "reject"})
    # A reject band switched off still sends the application to a person.
    (softened,) = fraud_rules(20.0, "reject", tuned(**{"knockouts.fraud_reject": False}))
    assert softened.id == "FRAUD_REVIEW"


def test_the_policy_may_set_its_own_fraud_bands(policy, tuned) -> None:
    assert fraud_verdict(55.0, "review", policy) == "review"  # the model's bands by default
    strict = tuned(**{"fraud.pass_score": 70, "fraud.review_score": 50})
    assert [fraud_verdict(s, "pass", strict) for s in (70, 69.9, 50, 49.9)] == ["pass", "review", "review", "reject"]
