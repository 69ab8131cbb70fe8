"""Officers' decisions: the reason catalogue, each rule of a final decision named when broken,
and the audited decision it must settle."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from riskmodels.audit import AuditLog
from riskmodels.contract.privacy import key_id
from riskmodels.loans import InvalidInput, UnknownReference, checked_terms, decision_record, override_kind
from riskmodels.policy.override_reasons import load_override_reasons
from tests.loans.conftest import KEY, decision

CATALOGUE = load_override_reasons()
CAP = 12.0


def test_every_reason_has_both_texts_and_each_final_decision_has_reasons() -> None:
    for code, reason in CATALOGUE.reasons.items():
        assert code.isupper() and reason.text_zh.strip() and reason.text_en.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in reason.text_zh), code
    for final in ("approve", "decline"):
        assert sum(final in r.decisions for r in CATALOGUE.reasons.values()) >= 3


@pytest.mark.parametrize(("final", "terms", "field", "rule"), [
    ("decline", {"amount": 100_000.0}, "amount", "must be left out when the decision is decline"),
    ("approve", {"rate": 4.5}, "amount", "is required when the decision is approve"),
    ("approve", {"amount": 100_000.0}, "rate", "is required when the decision is approve"),
    ("approve", {"amount": 100_000.0, "rate": 24.0}, "rate", "at most the policy's cap (12% a year)"),
    ("approve", {"amount": -5.0, "rate": 4.5}, "amount", "must be a positive amount"),
    ("approve", {"amount": 100.001, "rate": 4.5}, "amount", "at most 2 decimals"),
    ("approve", {"amount": 1.0, "rate": 4.5, "reason_code": "NOT_A_CODE"}, "reason_code", "reason code of the catalogue"),
    ("approve", {"amount": 1.0, "rate": 4.5, "reason_code": "HIDDEN_DEBT"}, "reason_code", "must be a reason for approve"),
    ("approve", {"amount": 1.0, "rate": 4.5, "officer": "李 小"}, "officer", "staff id or pseudonym"),
])
def test_each_broken_rule_of_a_final_decision_names_its_field(final: Any, terms: dict[str, Any], field: str,
                                                               rule: str) -> None:
    args = {"amount": None, "rate": None, "officer": "li.xiao", "reason_code": "AS_RECOMMENDED", **terms}
    with pytest.raises(InvalidInput) as refused:
        checked_terms(final, args["amount"], args["rate"], args["officer"], args["reason_code"], CATALOGUE, CAP)
    assert refused.value.field == field and rule in refused.value.rule


def test_every_broken_rule_of_a_final_decision_is_named_at_once() -> None:
    """A caller fixing one field per attempt would need as many requests as mistakes."""
    with pytest.raises(InvalidInput) as refused:
        checked_terms("approve", 100.001, -4.0, "李 小", "NOT_A_CODE", CATALOGUE, CAP)
    named = [(e.field, e.got) for e in (refused.value, *refused.value.more)]
    assert named == [("officer", "李 小"), ("reason_code", "NOT_A_CODE"), ("amount", 100.001), ("rate", -4.0)]
    with pytest.raises(InvalidInput) as declined:
        checked_terms("decline", 1.0, 4.5, "li.xiao", "AS_RECOMMENDED", CATALOGUE, CAP)
    assert [e.field for e in (declined.value, *declined.value.more)][-2:] == ["amount", "rate"]


def test_good_terms_come_back_in_fen() -> None:
    assert checked_terms("approve", 180_000.0, 4.5, "li.xiao", "DD_TURNOVER_VERIFIED", CATALOGUE, CAP) == (18_000_000, 4.5)
    assert checked_terms("decline", None, None, "li.xiao", "HIDDEN_DEBT", CATALOGUE, CAP) == (None, None)


def test_overrides_are_decisions_against_the_automatic_answer() -> None:
    assert [override_kind(s, "approve") for s in ("approve", "offer", "reject", "review")] == [
        "confirmed", "confirmed", "override_up", "reviewed"]
    assert [override_kind(s, "decline") for s in ("approve", "offer", "reject", "review")] == [
        "override_down", "override_down", "confirmed", "reviewed"]


def test_only_an_audited_application_decision_can_be_settled(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.sqlite", KEY)
    made = dataclasses.replace(decision("review"), key_id=key_id(KEY), input_hmac="0" * 64)
    account = dataclasses.replace(decision(), request_id="b-1", endpoint="behavior", decision="keep",
                                  key_id=key_id(KEY), input_hmac="0" * 64)
    # A fraud answer audits the whole decision (an offer here), but its caller saw only the fraud score.
    fraud = dataclasses.replace(decision("offer"), request_id="f-1", endpoint="fraud", key_id=key_id(KEY),
                                input_hmac="0" * 64)
    audit.append([made, account, fraud])
    try:
        assert decision_record(audit, made.request_id).decision == "review"
        with pytest.raises(UnknownReference) as unknown:
            decision_record(audit, "never-scored")
        assert unknown.value.field == "request_id" and unknown.value.got == "never-scored"
        with pytest.raises(UnknownReference, match="must name an application decision; got a behavior answer"):
            decision_record(audit, "b-1")
        with pytest.raises(UnknownReference, match="must name an application decision; got a fraud answer"):
            decision_record(audit, "f-1", "decision_request_id")
    finally:
        audit.close()


def test_an_approval_above_the_product_s_cap_is_refused_naming_it() -> None:
    # The review's case: 9,000,000 lent on a general_credit line whose cap is 2,000,000.
    with pytest.raises(InvalidInput) as refused:
        checked_terms("approve", 9_000_000.0, 4.5, "o1", "DD_SOFT_INFO_POSITIVE", CATALOGUE, CAP,
                      ("general_credit", 2_000_000.0))
    assert (refused.value.field, refused.value.got) == ("amount", 9_000_000.0)
    assert refused.value.rule == "must be at most the general_credit product's cap (2,000,000 CNY)"
    assert checked_terms("approve", 2_000_000.0, 4.5, "o1", "DD_SOFT_INFO_POSITIVE", CATALOGUE, CAP,
                         ("general_credit", 2_000_000.0)) == (200_000_000, 4.5)


def test_lending_above_an_automatic_approval_s_limit_is_an_override() -> None:
    limit = 150_000.0
    assert override_kind("approve", "approve", 15_000_000, limit) == "confirmed"  # the limit itself
    assert override_kind("approve", "approve", 10_000_000, limit) == "confirmed"  # less than offered
    assert override_kind("approve", "approve", 15_000_001, limit) == "override_amount"
    assert override_kind("offer", "approve", 90_000_000, limit) == "override_amount"
    assert override_kind("reject", "approve", 90_000_000, None) == "override_up"
