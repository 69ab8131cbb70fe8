"""Officers' final decisions (overrides): checked against the audited decision they settle and
the reason catalogue, then recorded once in the loan store.

The rules that fired in the decision (its review triggers among them) are not in the audit
record, which keeps the outcome only: they are found again by replaying the record's stored
input through the models in use (``riskmodels.audit.replay``). When those are not the models
that decided, the replay may differ; the rules are still kept, and ``same`` says so.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from riskmodels.audit import AuditLog, AuditRecord, AuditRecordNotFound, replay
from riskmodels.loans.errors import InvalidInput, UnknownReference
from riskmodels.loans.store import FinalDecision, LoanStore, RecordedOutcome, to_fen
from riskmodels.policy.override_reasons import OverrideCatalogue

if TYPE_CHECKING:
    from riskmodels.decision import ModelBundle

DECISIONS = ("approve", "offer", "review", "reject")
OFFICER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
OFFICER_RULE = "must be the officer's staff id or pseudonym: 1 to 64 letters, digits, '_', '.' or '-'"


def decision_record(audit: AuditLog, request_id: str, field: str = "request_id") -> AuditRecord:
    """The audited application decision of ``request_id``; ``UnknownReference`` naming ``field``
    when there is none (or the record is a B or C card's answer, which no officer settles)."""
    try:
        record = audit.get(request_id)
    except AuditRecordNotFound as exc:
        raise UnknownReference(field, "must name an audited application decision (the request id of its "
                               "answer)", request_id) from exc
    if record.decision not in DECISIONS:
        raise UnknownReference(field, f"must name an application decision; got a {record.endpoint} answer",
                               request_id)
    return record


def triggers_of(record: AuditRecord, bundle: ModelBundle) -> tuple[list[str], bool]:
    """The ids of the rules that decided (not the ones that only explain) and whether the replay
    gave the audited answer."""
    decision, same = replay(record, bundle)
    return [rule.id for rule in decision.rules if rule.action != "info"], same


def checked_terms(final: FinalDecision, amount: float | None, rate: float | None, officer: str, reason_code: str,
                  catalogue: OverrideCatalogue, max_rate: float) -> tuple[int | None, float | None]:
    """The amount (fen) and rate of a final decision, each rule checked and named when broken:
    an approval carries both, a decline neither; the reason must go with the decision."""
    if not OFFICER.fullmatch(officer):
        raise InvalidInput("officer", OFFICER_RULE, officer)
    try:
        catalogue.check(reason_code, final)
    except ValueError as exc:
        raise InvalidInput("reason_code", str(exc), reason_code) from exc
    if final == "decline":
        for name, value in (("amount", amount), ("rate", rate)):
            if value is not None:
                raise InvalidInput(name, "must be left out when the decision is decline", value)
        return None, None
    if amount is None:
        raise InvalidInput("amount", "is required when the decision is approve")
    if rate is None:
        raise InvalidInput("rate", "is required when the decision is approve")
    if not 0 < rate <= max_rate:
        raise InvalidInput("rate", f"must be above 0 and at most the policy's cap ({max_rate:g}% a year)", rate)
    return to_fen(amount, "amount"), rate


def record_officer_decision(store: LoanStore, audit: AuditLog, bundle: ModelBundle, catalogue: OverrideCatalogue,
                            request_id: str, final: FinalDecision, *, officer: str, reason_code: str,
                            amount: float | None = None, rate: float | None = None) -> RecordedOutcome:
    """Check and record one officer's decision; every refusal names its field, nothing half-written."""
    record = decision_record(audit, request_id)
    amount_fen, rate = checked_terms(final, amount, rate, officer, reason_code, catalogue,
                                     bundle.policy.pricing.cap_pct)
    triggers, _same = triggers_of(record, bundle)
    return store.record_outcome(record, final, officer=officer, reason_code=reason_code, amount_fen=amount_fen,
                                rate=rate, triggers=triggers)
