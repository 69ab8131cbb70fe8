"""Draws: each one checked against what may still be drawn (``riskmodels.policy.drawdown``) and
recorded, accepted or refused, with its answer byte for byte; the one writer of the drawn amount.

Retries. A draw is answered once per ``X-Request-ID`` and once per ``Idempotency-Key`` (kept as
a keyed hash in ``loan_draw_keys``, in the same commit as the draw): a repeat with the same body
gets the first answer and draws nothing; the same id or key with another body is a ``Conflict``
naming the header. Only answers (accepted or refused) are kept; a 4xx writes nothing, so the
request may be corrected and sent again under the same key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from riskmodels.audit import canonical_json
from riskmodels.contract.privacy import key_id, pseudonym
from riskmodels.loans.errors import Conflict, Expired, InvalidInput, UnknownReference
from riskmodels.loans.facilities import OPEN_RULE, expires_on, facility_row
from riskmodels.loans.inputs import check_visible
from riskmodels.loans.schema import day, draw_keys, draws, facilities
from riskmodels.loans.terms import expiry_rule
from riskmodels.policy.drawdown import PaymentMode, Refusal, check_draw, refusal_text
from riskmodels.policy.schema import Drawdown

IDEMPOTENCY_KEY = "Idempotency-Key"
KEY_REUSED_RULE = "must name one body only: it was sent before on this route with another body"


@dataclass(frozen=True)
class Payee:
    """Whom the bank pays on an entrusted draw; kept only as a keyed hash."""

    name: str
    account: str

    def __post_init__(self) -> None:
        check_visible("payee.name", self.name)
        check_visible("payee.account", self.account)


class DrawResult(BaseModel):
    """The answer to a draw, accepted or refused; amounts in CNY."""

    request_id: str = Field(description="The draw's own request id (X-Request-ID)")
    facility_id: str
    decision_request_id: str = Field(description="The decision the facility was opened from")
    at: str
    accepted: bool
    amount: float
    payment_mode: PaymentMode = Field(description="entrusted (受托支付): the bank pays the supplier; self (自主支付): "
                                      "the customer does")
    available_before: float
    available: float = Field(description="What may still be drawn after this answer")
    limit: float
    drawn: float
    frozen: float
    refusal: Refusal | None = None
    refusal_zh: str | None = None
    refusal_en: str | None = None


@dataclass(frozen=True)
class PendingDraw:
    """One draw as the store checks it: ``input_hmac`` the keyed hash of the request as sent,
    ``key_hmac`` that of its Idempotency-Key (None without one)."""

    request_id: str
    amount_fen: int
    facility_id: str | None
    decision_request_id: str | None
    payee: Payee | None
    input_hmac: str
    key_hmac: str | None

    @classmethod
    def of(cls, key: bytes, request_id: str, amount_fen: int, *, facility_id: str | None,
           decision_request_id: str | None, payee: Payee | None, sent: Mapping[str, Any] | None,
           idempotency_key: str | None) -> PendingDraw:
        if (facility_id is None) == (decision_request_id is None):
            raise InvalidInput("facility_id", "must be given, or decision_request_id instead, not both")
        if amount_fen <= 0:
            raise InvalidInput("amount", "must be a positive amount (CNY)", amount_fen / 100)
        input_hmac = pseudonym(canonical_json(sent or {"amount_fen": amount_fen}), key)
        key_hmac = pseudonym(f"drawdown\x1f{idempotency_key}", key) if idempotency_key is not None else None
        return cls(request_id, amount_fen, facility_id, decision_request_id, payee, input_hmac, key_hmac)


def record_draw(conn: Connection, key: bytes, draw: PendingDraw, rule: Drawdown, when: str) -> tuple[DrawResult, bool]:
    """Answer ``draw`` in ``conn``'s transaction (which holds the write lock): its first answer
    when it is a repeat (and True), else check it and record it (and False)."""
    repeat = _repeat(conn, key, draw)
    if repeat is not None:
        return repeat, True
    row = facility_row(conn, facility_id=draw.facility_id, request_id=draw.decision_request_id, lock=True)
    field = "facility_id" if draw.facility_id is not None else "decision_request_id"
    named = draw.facility_id or draw.decision_request_id
    if row is None:
        raise UnknownReference(field, OPEN_RULE, named)
    expires = expires_on(row)
    if expires is not None and day(when) >= expires:
        raise Expired(field, expiry_rule(expires, day(row["opened_at"]), row["term_months"]), named)
    limit, drawn, frozen = int(row["limit_fen"]), int(row["drawn_fen"]), int(row["frozen_fen"])
    check = check_draw(draw.amount_fen, limit, drawn, frozen, rule, open_=row["status"] == "open")
    if check.payment_mode == "entrusted" and draw.payee is None:
        raise InvalidInput("payee", f"is required for a draw of {rule.entrusted_payment_from:,.0f} CNY or "
                           "more: the bank pays the supplier (受托支付)")
    if check.accepted:
        drawn += draw.amount_fen
        conn.execute(facilities.update().where(facilities.c.facility_id == row["facility_id"]).values(drawn_fen=drawn))
    zh, en = refusal_text(check) if check.refusal else (None, None)
    result = DrawResult(
        request_id=draw.request_id, facility_id=row["facility_id"], decision_request_id=row["request_id"], at=when,
        accepted=check.accepted, amount=draw.amount_fen / 100, payment_mode=check.payment_mode,
        available_before=check.available_before_fen / 100, available=check.available_after_fen / 100,
        limit=limit / 100, drawn=drawn / 100, frozen=frozen / 100, refusal=check.refusal,
        refusal_zh=zh, refusal_en=en)
    payee = draw.payee
    conn.execute(draws.insert().values(
        request_id=draw.request_id, facility_id=row["facility_id"], at=when, amount_fen=draw.amount_fen,
        accepted=check.accepted, refusal=check.refusal, payment_mode=check.payment_mode,
        available_before_fen=check.available_before_fen, available_after_fen=check.available_after_fen,
        payee_hmac=pseudonym(f"{payee.name}\x1f{payee.account}", key) if payee else None,
        key_id=key_id(key), input_hmac=draw.input_hmac, answer=result.model_dump_json()))
    if draw.key_hmac is not None:
        conn.execute(draw_keys.insert().values(key_hmac=draw.key_hmac, request_id=draw.request_id, key_id=key_id(key)))
    return result, False


def _repeat(conn: Connection, key: bytes, draw: PendingDraw) -> DrawResult | None:
    """The first answer when ``draw`` was answered before under its key or request id (None when
    not); ``Conflict`` naming the header when that was with another body."""
    earlier = _earlier(conn, draw.request_id, draw.key_hmac)
    if earlier is None:
        return None
    header, kept_hmac, answer = earlier
    if kept_hmac != draw.input_hmac:
        if header == IDEMPOTENCY_KEY:
            raise Conflict(header, KEY_REUSED_RULE)
        raise Conflict(header, "must name one draw only: it was sent before with another body", draw.request_id)
    result = DrawResult.model_validate_json(answer)
    if draw.key_hmac is not None and header != IDEMPOTENCY_KEY:  # the key now names that answer too
        conn.execute(draw_keys.insert().values(key_hmac=draw.key_hmac, request_id=result.request_id,
                                               key_id=key_id(key)))
    return result


def _earlier(conn: Connection, request_id: str, key_hmac: str | None) -> tuple[str, str, str] | None:
    """The draw answered before under this idempotency key or request id: the header that names
    it, its input's keyed hash and its answer. The key is looked up first: a retry under a key
    may carry a new request id."""
    if key_hmac is not None:
        found = conn.execute(sa.select(draws.c.input_hmac, draws.c.answer)
                             .join(draw_keys, draw_keys.c.request_id == draws.c.request_id)
                             .where(draw_keys.c.key_hmac == key_hmac)).first()
        if found is not None:
            return IDEMPOTENCY_KEY, found.input_hmac, found.answer
    found = conn.execute(sa.select(draws.c.input_hmac, draws.c.answer).where(draws.c.request_id == request_id)).first()
    return ("X-Request-ID", found.input_hmac, found.answer) if found is not None else None


def answers_of(conn: Connection, facility_id: str) -> list[DrawResult]:
    """Every draw on the facility, oldest first, as answered."""
    rows = conn.execute(sa.select(draws.c.answer).where(draws.c.facility_id == facility_id)
                        .order_by(draws.c.draw_id)).scalars().all()
    return [DrawResult.model_validate_json(r) for r in rows]
