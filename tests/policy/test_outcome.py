"""The whole policy for one application: rules in order, the decision they make, limit checks."""

from __future__ import annotations

import pytest
from policy_cases import NO_FLOW, NO_POS, NO_TAX

from riskmodels.policy import apply_policy
from riskmodels.policy.outcome import decision_of
from riskmodels.policy.rules import RuleHit


def answer(facts, policy, score: float = 85.0, fraud_score: float = 90.0, verdict: str = "pass",
           applicant_pd: float = 0.01):
    return apply_policy(facts, score, applicant_pd, fraud_score, verdict, policy)


def ids(outcome) -> list[str]:
    return [rule.id for rule in outcome.rules]


def test_a_clean_high_score_is_approved_with_limit_and_rate(facts, policy) -> None:
    outcome = answer(facts(), policy, score=85.0)
    assert (outcome.decision, outcome.risk_class, outcome.class_pd, ids(outcome)) == ("approve", "A", 0.006,
                                                                                      ["BAND_HIGH"])
    # Class A: the POS loan lends the most; the general credit asked for lends the amount.
    assert (outcome.limit.recommended_product, outcome.limit.pre_approved, outcome.limit.final) == (
        "general_credit", 410_000, 150_000)
    assert outcome.limit.by_product[0].limit == 240_000
    assert outcome.pricing is not None and outcome.pricing.rate_pct == 4.1


def test_the_seeds_restaurant_in_class_b(facts, policy, tuned) -> None:
    outcome = answer(facts(), policy, score=78.0)  # seed 000: score 78, class B
    # Above the default's grey zone (60-65) the pre-approved limit is pushed at once; the
    # 150,000 asked is under it, so there is no excess for due diligence.
    assert (outcome.decision, outcome.risk_class, ids(outcome)) == ("approve", "B", ["BAND_HIGH"])
    assert (outcome.limit.pre_approved, outcome.limit.final, outcome.pricing.rate_pct) == (240_000, 150_000, 4.5)
    assert (outcome.limit.recommended_product, outcome.limit.by_product[0].limit) == ("general_credit", 180_000)
    # Under seed 002's own bands (approve from 80) the same answer goes to a person.
    seed = answer(facts(), tuned(**{"bands.approve_from": 80}), score=78.0)
    assert (seed.decision, ids(seed), seed.limit.pre_approved) == ("review", ["BAND_MIDDLE"], 240_000)


def test_stages_come_in_order_and_a_reject_takes_limit_and_rate_away(facts, policy) -> None:
    outcome = answer(facts(blacklist_hit=True, requested_amount=900_000.0, collateral_type="property"), policy,
                     score=55.0, fraud_score=50.0, verdict="review")
    assert ids(outcome) == ["KO_BLACKLIST", "FRAUD_REVIEW", "BAND_LOW", "PRODUCT_SWITCH", "LIMIT_ABOVE_PREAPPROVED",
                            "REQ_SECURED"]
    assert [r.stage for r in outcome.rules] == ["knockout", "fraud", "band", "limit", "limit", "limit"]
    assert outcome.decision == "reject" and outcome.pricing is None
    assert (outcome.limit.pre_approved, outcome.limit.final, outcome.limit.recommended_product) == (0, 0, None)
    assert any(p.limit > 0 for p in outcome.limit.by_product)  # kept for the person who may rescue it


def test_fraud_reject_is_a_knockout(facts, policy) -> None:
    outcome = answer(facts(), policy, fraud_score=20.0, verdict="reject")
    assert (outcome.decision, ids(outcome)) == ("reject", ["KO_FRAUD", "BAND_HIGH"])


def test_fraud_review_sends_a_high_score_to_a_person(facts, policy) -> None:
    outcome = answer(facts(), policy, fraud_score=50.0, verdict="review")
    assert (outcome.decision, outcome.fraud_verdict, ids(outcome)) == ("review", "review",
                                                                        ["FRAUD_REVIEW", "BAND_HIGH"])


def test_low_score_exception_reviews_under_the_low_score_cap(facts, tuned) -> None:
    policy = tuned(**{"classes.3.limit_cap": 900_000})  # so the low-score cap is what binds
    rich = facts(government_risk_sharing=True, flow_mean_inflow=900_000.0, flow_annual_inflow=10.8e6,
                 tax_sales_last_year=11e6, requested_amount=800_000.0)
    outcome = answer(rich, policy, score=50.0)
    assert outcome.decision == "review" and ids(outcome) == ["LS_GOVERNMENT_RISK_SHARING", "LIMIT_ABOVE_PREAPPROVED"]
    general = outcome.limit.by_product[0]
    assert (general.limit, general.binding_constraint) == (500_000, "low_score_cap")


def test_a_request_above_the_pre_approved_limit_is_offered_that_limit_at_once(facts, policy) -> None:
    # Seed 000: the pre-approved limit at once, due diligence only for the excess.
    outcome = answer(facts(requested_amount=450_000.0), policy, score=85.0)
    assert outcome.decision == "offer" and ids(outcome) == ["BAND_HIGH", "PRODUCT_SWITCH", "LIMIT_ABOVE_PREAPPROVED"]
    assert outcome.rules[2].action == "offer" and outcome.pricing is not None
    assert outcome.rules[2].evidence == {"requested_amount": 450_000.0, "pre_approved": 410_000.0}
    assert (outcome.limit.recommended_product, outcome.limit.final) == ("pos_loan", 410_000)
    # In the grey zone the whole request goes to a person, as before.
    assert answer(facts(requested_amount=450_000.0), policy, score=62.0).decision == "review"
    at_the_limit = answer(facts(requested_amount=410_000.0), policy)
    assert at_the_limit.decision == "approve" and at_the_limit.limit.final == 410_000


def test_a_request_another_product_covers_switches_to_it(facts, policy) -> None:
    # The general credit lends 240,000 in class A; the POS loan lends the 250,000 asked.
    outcome = answer(facts(requested_amount=250_000.0), policy, score=85.0)
    assert outcome.decision == "approve" and ids(outcome) == ["BAND_HIGH", "PRODUCT_SWITCH"]
    assert (outcome.limit.recommended_product, outcome.limit.final) == ("pos_loan", 250_000)


def test_a_term_beyond_the_products_is_reviewed(facts, policy) -> None:
    assert ids(answer(facts(requested_term_months=13.0), policy)) == ["BAND_HIGH", "REQ_TERM"]
    assert answer(facts(requested_term_months=12.0), policy).decision == "approve"


def test_a_secured_request_is_answered_with_the_unsecured_limit(facts, policy) -> None:
    outcome = answer(facts(collateral_type="equipment", requested_amount=350_000.0, flow_mean_inflow=700_000.0),
                     policy, score=85.0)
    secured = outcome.rules[-1]
    assert (outcome.decision, secured.id, secured.evidence) == (
        "review", "REQ_SECURED", {"collateral_type": "equipment", "unsecured_limit": 540_000.0})
    assert "outside the automated products" in secured.text_en and outcome.limit.final == 350_000


def test_no_product_that_lends_is_rejected_or_sent_to_a_person_as_the_policy_says(facts, policy, tuned) -> None:
    why = {"general_credit": "GC_NO_FLOW", "pos_loan": "POS_NO_DATA", "tax_loan": "TAX_NO_DATA",
           "flow_loan": "FLOW_NO_DATA", "platform_loan": "PLATFORM_NO_DATA"}
    # The default: seed 002 rejects an applicant who fails every product's admission.
    outcome = answer(facts(**NO_FLOW, **NO_TAX, **NO_POS), policy, score=90.0)
    assert outcome.decision == "reject" and ids(outcome) == ["BAND_HIGH", "LIMIT_NO_PRODUCT"]
    assert outcome.rules[1].evidence == why and outcome.pricing is None
    assert outcome.limit.final == 0
    review = answer(facts(**NO_FLOW, **NO_TAX, **NO_POS), tuned(**{"limits.no_product": "review"}), score=90.0)
    assert review.decision == "review" and ids(review) == ["BAND_HIGH", "LIMIT_NO_PRODUCT"]
    assert review.rules[1].evidence == why and review.limit.final == 0


def test_a_product_switch_is_explained_without_changing_the_decision(facts, policy) -> None:
    outcome = answer(facts(product="flow_loan"), policy, score=85.0)
    assert ids(outcome) == ["BAND_HIGH", "PRODUCT_SWITCH"] and outcome.decision == "approve"
    assert outcome.rules[1].evidence == {"requested_product": "flow_loan", "recommended_product": "pos_loan"}


def test_decision_precedence() -> None:
    def rule(action: str) -> RuleHit:
        return RuleHit(id="X", stage="band", action=action, text_zh="x", text_en="x", evidence={})

    assert decision_of([rule("approve")]) == "approve"
    assert decision_of([rule("approve"), rule("info")]) == "approve"
    assert decision_of([rule("approve"), rule("review")]) == "review"
    assert decision_of([rule("review"), rule("reject"), rule("approve")]) == "reject"
    assert decision_of([rule("info")]) == "review"  # nothing approved it
    assert decision_of([]) == "review"


# -- limits sized on the limit score (missing sources held at their worst) --------------------
def test_limits_are_sized_in_the_limit_scores_class_while_the_price_stays_the_scores(facts, policy) -> None:
    full = apply_policy(facts(), 85.0, 0.006, 90.0, "pass", policy)
    sized = apply_policy(facts(), 85.0, 0.006, 90.0, "pass", policy, limit_score=75.0, limit_pd=0.015)
    assert (full.risk_class, full.limit.sized_class, sized.risk_class, sized.limit.sized_class) == ("A", "A", "A", "B")
    assert sized.pricing == full.pricing  # the quoted rate prices the applicant's own PD
    general_full, general_sized = full.limit.by_product[0], sized.limit.by_product[0]
    # Class B's 1.5 months of inflow, and the debt service tested at the higher PD's rate.
    assert general_sized.constraints["inflow_months"] == pytest.approx(1.5 * 120_000)
    assert general_sized.constraints["debt_service"] < general_full.constraints["debt_service"]
    assert sized.limit.pre_approved <= full.limit.pre_approved
    # A limit score above the score changes nothing: limits are never sized above the score.
    assert apply_policy(facts(), 85.0, 0.006, 90.0, "pass", policy, limit_score=95.0, limit_pd=0.001) == full


def test_a_limit_score_under_the_reject_line_leaves_the_sizing_to_a_person(facts, tuned) -> None:
    policy = tuned(**{"limits.thin_data": "review", "bands.approve_from": 80})
    outcome = apply_policy(facts(), 66.0, 0.03, 90.0, "pass", policy, limit_score=55.0, limit_pd=0.08)
    assert outcome.decision == "review" and ids(outcome) == ["BAND_MIDDLE", "LIMIT_THIN_DATA"]
    assert outcome.rules[1].evidence == {"limit_score": 55.0, "reject_below": 60.0}
    assert (outcome.limit.pre_approved, outcome.limit.final, outcome.limit.recommended_product) == (0, 0, None)
    assert outcome.pricing is not None  # the score is above the reject line: the applicant is priced
    # Under the reject line on its own score, the application is rejected as before.
    assert apply_policy(facts(), 55.0, 0.08, 90.0, "pass", policy, limit_score=50.0, limit_pd=0.1).decision == "reject"


def test_a_limit_score_under_the_reject_line_with_a_low_score_exception_is_sized_under_its_cap(facts, tuned) -> None:
    policy = tuned(**{"classes.3.limit_cap": 900_000})  # so the low-score cap is what binds
    rich = facts(government_risk_sharing=True, flow_mean_inflow=900_000.0, flow_annual_inflow=10.8e6,
                 tax_sales_last_year=11e6, requested_amount=800_000.0)
    outcome = apply_policy(rich, 66.0, 0.03, 90.0, "pass", policy, limit_score=55.0, limit_pd=0.08)
    assert "LIMIT_THIN_DATA" not in ids(outcome) and outcome.limit.sized_class == "D"
    assert outcome.limit.by_product[0].binding_constraint == "low_score_cap" and outcome.limit.pre_approved > 0


def test_a_limit_score_under_the_reject_line_is_sized_under_the_low_score_cap_by_default(facts, policy, tuned) -> None:
    rich = facts(flow_mean_inflow=900_000.0, flow_annual_inflow=10.8e6, tax_sales_last_year=11e6,
                 requested_amount=800_000.0)
    outcome = apply_policy(rich, 70.0, 0.02, 90.0, "pass", policy, limit_score=55.0, limit_pd=0.08)
    thin = outcome.rules[1]
    assert ids(outcome) == ["BAND_HIGH", "LIMIT_THIN_DATA", "LIMIT_ABOVE_PREAPPROVED"]
    assert (thin.action, thin.evidence) == ("info", {"limit_score": 55.0, "reject_below": 60.0, "limit_cap": 500_000})
    # A starter limit in the limit score's class, never above the low-score cap, offered at once.
    assert outcome.decision == "offer" and outcome.limit.sized_class == "D"
    assert 0 < outcome.limit.pre_approved <= 500_000 and outcome.limit.final == outcome.limit.pre_approved
    # Never more than the same applicant sized on its own score (removing a source never raises a limit).
    whole = apply_policy(rich, 70.0, 0.02, 90.0, "pass", policy)
    assert outcome.limit.pre_approved <= whole.limit.pre_approved
    # A person sizes it when the policy says review.
    by_hand = apply_policy(rich, 70.0, 0.02, 90.0, "pass", tuned(**{"limits.thin_data": "review"}),
                           limit_score=55.0, limit_pd=0.08)
    assert by_hand.decision == "review" and by_hand.limit.pre_approved == 0
