"""Officers' final decisions (overrides): checked against the audited decision they settle and
the reason catalogue, then recorded once in the loan store.

The rules that fired in the decision (its review triggers among them) are not in the audit
record, which keeps the outcome only: they are found again by replaying the record's stored
input through the models in use (``riskmodels.audit.replay``). When those are not the models
that decided, the replay may differ; the rules are still kept, and ``same`` says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from riskmodels.audit import AuditLog, AuditRecord, AuditRecordNotFound, replay
from riskmodels.audit.records import FRAUD_ENDPOINTS
from riskmodels.loans.errors import InvalidInput, UnknownReference
from riskmodels.loans.inputs import check_officer, to_fen
from riskmodels.loans.schema import outcomes
from riskmodels.loans.terms import product_cap
from riskmodels.policy.override_reasons import OverrideCatalogue

if TYPE_CHECKING:
    from riskmodels.decision import ModelBundle
    from riskmodels.loans.store import LoanStore

DECISIONS = ("approve", "offer", "review", "reject")
APPROVED = ("approve", "offer")  # system decisions that lend without a person
FinalDecision = Literal["approve", "decline"]
OverrideKind = Literal["confirmed", "override_up", "override_down", "override_amount", "reviewed"]


class RecordedOutcome(BaseModel):
    """An officer's final decision on an audited application decision."""

    request_id: str
    recorded_at: str
    system_decision: str | None
    risk_class: str | None
    triggers: list[str] = Field(description="Rule ids that fired in the decision (its review triggers among them)")
    final: FinalDecision
    amount: float | None
    rate: float | None
    officer: str
    reason_code: str
    kind: OverrideKind = Field(
        description="confirmed: as the system decided; override_up: a rejection approved; override_down: an "
        "automatic approval declined; override_amount: an automatic approval lent above the system's limit; "
        "reviewed: a referral decided by the officer")

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> RecordedOutcome:
        amount = row["amount_fen"]
        return cls(request_id=row["request_id"], recorded_at=row["recorded_at"],
                   system_decision=row["system_decision"], risk_class=row["risk_class"],
                   triggers=json.loads(row["triggers"]), final=row["final"],
                   amount=amount / 100 if amount is not None else None, rate=row["rate"],
                   officer=row["officer"], reason_code=row["reason_code"], kind=row["kind"])


def override_kind(system: str | None, final: FinalDecision, amount_fen: int | None = None,
                  system_limit: float | None = None) -> OverrideKind:
    """How the officer's decision stands to the system's: lending more than an automatic
    approval's limit is an override as much as approving a rejection is."""
    if system in APPROVED:
        if final == "decline":
            return "override_down"
        above = amount_fen is not None and system_limit is not None and amount_fen > round(system_limit * 100)
        return "override_amount" if above else "confirmed"
    if system == "reject":
        return "override_up" if final == "approve" else "confirmed"
    return "reviewed"


def decision_record(audit: AuditLog, request_id: str, field: str = "request_id") -> AuditRecord:
    """The audited application decision of ``request_id``; ``UnknownReference`` naming ``field``
    when there is none (or the record is a B or C card's answer, which no officer settles, or a
    fraud answer)."""
    try:
        record = audit.get(request_id)
    except AuditRecordNotFound as exc:
        raise UnknownReference(field, "must name an audited application decision (the request id of its "
                               "answer)", request_id) from exc
    # A fraud answer audits the whole decision, but its caller saw only the fraud score: a
    # facility opened on it would lend at terms the loan system was never shown.
    if record.decision not in DECISIONS or record.endpoint in FRAUD_ENDPOINTS:
        raise UnknownReference(field, f"must name an application decision; got a {record.endpoint} answer",
                               request_id)
    return record


def triggers_of(record: AuditRecord, bundle: ModelBundle) -> tuple[list[str], bool]:
    """The ids of the rules that decided (not the ones that only explain) and whether the replay
    gave the audited answer."""
    decision, same = replay(record, bundle)
    return [rule.id for rule in decision.rules if rule.action != "info"], same


def checked_terms(final: FinalDecision, amount: float | None, rate: float | None, officer: str, reason_code: str,
                  catalogue: OverrideCatalogue, max_rate: float,
                  product_cap: tuple[str, float] | None = None) -> tuple[int | None, float | None]:
    """The amount (fen) and rate of a final decision, each rule checked and named when broken:
    an approval carries both, the amount at most the product's cap (``product_cap``: the
    product and its cap in CNY) and the rate the policy's; a decline neither; the reason must go
    with the decision. Every broken rule is named at once (``InvalidInput.more``), not one per
    attempt."""
    problems: list[InvalidInput] = []
    try:
        check_officer(officer)
    except InvalidInput as exc:
        problems.append(exc)
    try:
        catalogue.check(reason_code, final)
    except ValueError as exc:
        problems.append(InvalidInput("reason_code", str(exc), reason_code))
    amount_fen: int | None = None
    if final == "decline":
        problems += [InvalidInput(name, "must be left out when the decision is decline", value)
                     for name, value in (("amount", amount), ("rate", rate)) if value is not None]
    else:
        if amount is None:
            problems.append(InvalidInput("amount", "is required when the decision is approve"))
        else:
            try:
                amount_fen = to_fen(amount, "amount")
            except InvalidInput as exc:
                problems.append(exc)
            if amount_fen is not None and product_cap is not None and amount_fen > round(product_cap[1] * 100):
                problems.append(InvalidInput("amount", f"must be at most the {product_cap[0]} product's cap "
                                             f"({product_cap[1]:,.0f} CNY)", amount))
                amount_fen = None
        if rate is None:
            problems.append(InvalidInput("rate", "is required when the decision is approve"))
        elif not 0 < rate <= max_rate:
            problems.append(InvalidInput("rate", f"must be above 0 and at most the policy's cap ({max_rate:g}% a year)",
                                         rate))
    if problems:
        raise InvalidInput.every(problems)
    return amount_fen, (None if final == "decline" else rate)


def record_officer_decision(store: LoanStore, audit: AuditLog, bundle: ModelBundle, catalogue: OverrideCatalogue,
                            request_id: str, final: FinalDecision, *, officer: str, reason_code: str,
                            amount: float | None = None, rate: float | None = None) -> RecordedOutcome:
    """Check and record one officer's decision; every refusal names its field, nothing half-written."""
    record = decision_record(audit, request_id)
    amount_fen, rate = checked_terms(final, amount, rate, officer, reason_code, catalogue,
                                     bundle.policy.pricing.cap_pct, product_cap(record, bundle.policy.products))
    triggers, _same = triggers_of(record, bundle)
    return store.record_outcome(record, final, officer=officer, reason_code=reason_code, amount_fen=amount_fen,
                                rate=rate, triggers=triggers)


# -- the rows in the loan store (``loan_outcomes``), written once per decision ---------------------
def outcome_row(record: AuditRecord, final: FinalDecision, *, officer: str, reason_code: str,
                amount_fen: int | None, rate: float | None, triggers: Sequence[str], recorded_at: str) -> dict[str, Any]:
    """The row of the officer's final decision on ``record``, beside what the system decided."""
    application_id = record.input_masked.get("application_id")
    return {"request_id": record.request_id, "recorded_at": recorded_at,
            "application_id": application_id if isinstance(application_id, str) else None,
            "system_decision": record.decision, "risk_class": record.risk_class, "score": record.score,
            "system_limit_fen": round(record.limit_cny * 100) if record.limit_cny is not None else None,
            "system_rate": record.rate, "triggers": json.dumps(list(triggers)), "final": final,
            "amount_fen": amount_fen, "rate": rate, "officer": officer, "reason_code": reason_code,
            "kind": override_kind(record.decision, final, amount_fen, record.limit_cny)}


def insert_outcome(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(outcomes.insert().values(**row))


def outcome_of(conn: Connection, request_id: str) -> RecordedOutcome | None:
    row = conn.execute(sa.select(outcomes).where(outcomes.c.request_id == request_id)).mappings().first()
    return RecordedOutcome.of(dict(row)) if row is not None else None


def all_outcome_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every recorded outcome as a plain row, oldest first, its triggers a list."""
    rows = conn.execute(sa.select(outcomes).order_by(outcomes.c.recorded_at)).mappings().all()
    return [{**r, "triggers": json.loads(r["triggers"])} for r in rows]
