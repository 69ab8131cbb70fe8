"""Score bands and their exceptions (DOMAIN.md §4), each at its boundary."""

from __future__ import annotations

import pytest

from riskmodels.policy.bands import band_rules


def ids(score: float, facts, policy) -> list[str]:
    return [hit.id for hit in band_rules(score, facts, policy).rules]


@pytest.mark.parametrize(("score", "expected"), [
    # The default policy's bands: approve from 65, reject below 60 (default_policy.yaml says why).
    (100.0, ["BAND_HIGH"]), (65.0, ["BAND_HIGH"]), (64.999, ["BAND_MIDDLE"]), (60.0, ["BAND_MIDDLE"]),
    (59.999, ["BAND_LOW"]), (0.0, ["BAND_LOW"]),
])
def test_bands(facts, policy, score: float, expected: list[str]) -> None:
    outcome = band_rules(score, facts(), policy)
    assert [h.id for h in outcome.rules] == expected
    assert [h.action for h in outcome.rules] == [{"BAND_HIGH": "approve", "BAND_MIDDLE": "review",
                                                  "BAND_LOW": "reject"}[expected[0]]]
    assert not outcome.low_score_exception


@pytest.mark.parametrize(("fires", "holds", "rule", "action"), [
    ({"industry": "construction"}, {"industry": "retail"}, "HS_INDUSTRY_WARNING", "review"),
    ({"main_business_share": 49.9}, {"main_business_share": 50.0}, "HS_MAIN_BUSINESS", "review"),
    ({"account_tenure_months": 11.0}, {"account_tenure_months": 12.0}, "HS_ACCOUNT_TENURE", "review"),
    ({"tax_arrears": 1.0}, {"tax_arrears": float("nan")}, "HS_TAX_ARREARS", "review"),
    # The default offers the pre-approved limit and sends only the excess to a person.
    ({"requested_amount": 2_000_001.0}, {"requested_amount": 2_000_000.0}, "HS_AMOUNT", "offer"),
    ({"owner_age": 25.0}, {"owner_age": 26.0}, "HS_OWNER_AGE", "review"),
    ({"owner_age": 65.0}, {"owner_age": 64.0}, "HS_OWNER_AGE", "review"),
])
def test_high_score_exceptions_send_a_high_score_to_review(facts, policy, fires: dict, holds: dict,
                                                           rule: str, action: str) -> None:
    outcome = band_rules(85.0, facts(**fires), policy)
    assert [h.id for h in outcome.rules] == ["BAND_HIGH", rule]
    assert outcome.rules[1].action == action and outcome.rules[1].stage == "band"
    assert ids(85.0, facts(**holds), policy) == ["BAND_HIGH"]
    assert ids(62.0, facts(**fires), policy) == ["BAND_MIDDLE"]  # high-score exceptions only


def test_an_amount_above_the_maximum_goes_wholly_to_a_person_when_the_policy_says_review(facts, tuned) -> None:
    seed = tuned(**{"bands.high_score_exceptions.above_max_amount": "review"})  # seed 002's own rule
    hit = band_rules(85.0, facts(requested_amount=2_000_001.0), seed).rules[1]
    assert (hit.id, hit.action) == ("HS_AMOUNT", "review")


def test_an_offer_above_the_maximum_amount_needs_every_class_capped_at_it(tuned) -> None:
    # Else the automated part of an offer could itself exceed max_amount.
    with pytest.raises(ValueError, match="limit_cap must be at most bands.high_score_exceptions.max_amount"):
        tuned(**{"classes.0.limit_cap": 2_500_000})
    assert tuned(**{"classes.0.limit_cap": 2_500_000,
                    "bands.high_score_exceptions.above_max_amount": "review"}).classes[0].limit_cap == 2_500_000


def test_branch_flags_send_every_high_score_to_review(facts, tuned) -> None:
    branch = tuned(**{"bands.high_score_exceptions.branch_npl_above_average": True,
                      "bands.high_score_exceptions.branch_exception_admission": True})
    assert ids(95.0, facts(), branch) == ["BAND_HIGH", "HS_BRANCH_EXCEPTION", "HS_BRANCH_NPL"]


def test_all_high_score_exceptions_are_listed_in_order(facts, policy) -> None:
    worst = facts(industry="entertainment", main_business_share=30.0, account_tenure_months=3.0, tax_arrears=1.0,
                  requested_amount=3_000_000.0, owner_age=22.0)
    assert ids(90.0, worst, policy) == ["BAND_HIGH", "HS_INDUSTRY_WARNING", "HS_MAIN_BUSINESS", "HS_ACCOUNT_TENURE",
                                        "HS_TAX_ARREARS", "HS_AMOUNT", "HS_OWNER_AGE"]


@pytest.mark.parametrize(("change", "rule"), [
    ({"government_risk_sharing": True}, "LS_GOVERNMENT_RISK_SHARING"),
    ({"owner_financial_assets": 3_000_000.0}, "LS_OWNER_ASSETS"),
])
def test_low_score_exceptions_turn_a_reject_into_a_capped_review(facts, policy, change: dict, rule: str) -> None:
    outcome = band_rules(45.0, facts(**change), policy)
    assert [h.id for h in outcome.rules] == [rule]
    assert outcome.rules[0].action == "review" and outcome.low_score_exception
    assert outcome.rules[0].evidence["limit_cap"] == 500_000


def test_just_short_of_a_low_score_exception_rejects(facts, policy) -> None:
    assert ids(45.0, facts(owner_financial_assets=2_999_999.0), policy) == ["BAND_LOW"]
    assert ids(45.0, facts(owner_financial_assets=float("nan")), policy) == ["BAND_LOW"]


def test_bands_follow_the_policy(facts, tuned) -> None:
    moved = tuned(**{"bands.approve_from": 75, "bands.reject_below": 50})
    assert [ids(s, facts(), moved)[0] for s in (75.0, 74.9, 50.0, 49.9)] == [
        "BAND_HIGH", "BAND_MIDDLE", "BAND_MIDDLE", "BAND_LOW"]
