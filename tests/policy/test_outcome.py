"""The whole policy for one application: rules in order, the decision they make, limit checks."""

from __future__ import annotations

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
    assert (outcome.limit.recommended_product, outcome.limit.pre_approved, outcome.limit.final) == (
        "general_credit", 240_000, 150_000)
    assert outcome.pricing is not None and outcome.pricing.rate_pct == 4.1


def test_the_seeds_restaurant_in_class_b(facts, policy) -> None:
    outcome = answer(facts(), policy, score=78.0)  # seed 000: score 78, class B
    assert (outcome.decision, outcome.risk_class, ids(outcome)) == ("review", "B", ["BAND_MIDDLE"])
    assert (outcome.limit.pre_approved, outcome.limit.final, outcome.pricing.rate_pct) == (180_000, 150_000, 4.5)


def test_stages_come_in_order_and_a_reject_takes_limit_and_rate_away(facts, policy) -> None:
    outcome = answer(facts(blacklist_hit=True, requested_amount=900_000.0, collateral_type="property"), policy,
                     score=55.0, fraud_score=50.0, verdict="review")
    assert ids(outcome) == ["KO_BLACKLIST", "FRAUD_REVIEW", "BAND_LOW", "LIMIT_ABOVE_PREAPPROVED", "REQ_SECURED"]
    assert [r.stage for r in outcome.rules] == ["knockout", "fraud", "band", "limit", "limit"]
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


def test_a_request_above_the_pre_approved_limit_goes_to_due_diligence(facts, policy) -> None:
    outcome = answer(facts(requested_amount=250_000.0), policy, score=85.0)
    assert outcome.decision == "review" and ids(outcome) == ["BAND_HIGH", "LIMIT_ABOVE_PREAPPROVED"]
    assert outcome.rules[1].evidence == {"requested_amount": 250_000.0, "pre_approved": 240_000.0}
    assert outcome.limit.final == 240_000
    assert answer(facts(requested_amount=240_000.0), policy).decision == "approve"  # at the limit


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


def test_no_product_that_lends_means_a_person_decides(facts, policy) -> None:
    outcome = answer(facts(**NO_FLOW, **NO_TAX, **NO_POS), policy, score=90.0)
    assert outcome.decision == "review" and ids(outcome) == ["BAND_HIGH", "LIMIT_NO_PRODUCT"]
    assert outcome.rules[1].evidence == {"general_credit": "GC_NO_FLOW", "pos_loan": "POS_NO_DATA",
                                         "tax_loan": "TAX_NO_DATA", "flow_loan": "FLOW_NO_DATA"}
    assert outcome.limit.final == 0


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
