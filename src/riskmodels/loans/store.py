"""The loan store: facilities opened from approved decisions, every draw on them, the freezes of
post-loan warnings, and officers' final decisions. SQLAlchemy Core on one engine
(``riskmodels.stores``): SQLite by default, PostgreSQL when ``RISKMODELS_LOAN_STORE_URL`` names it.

Why draws are audited here and not in the decision audit log (``riskmodels.audit``): an accepted
draw and its record must be one commit with the limit it uses up, which a second database
cannot give (a crash between the two commits would leave a draw without its record, or a record
of a draw that never happened); and the audit log's columns are a decision's (score, class,
rate, reason codes). ``loan_draws`` is append-only and keeps what the audit log keeps of a
decision: when, a keyed hash of the request as sent (``input_hmac``, with the key's id), the
payee only as a keyed hash, and the answer given, byte for byte.

Concurrency. Every write runs in one transaction that first takes the write lock: the facility's
row lock on PostgreSQL (``SELECT ... FOR UPDATE``), the database's on SQLite (``BEGIN
IMMEDIATE``). Two draws on one facility therefore run one after the other, and the second sees
the first's drawn amount. A CHECK constraint (drawn + frozen <= limit) holds the same line in
the database itself. Amounts are whole fen (CNY cents), so sums are exact.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from riskmodels.audit import AuditRecord, canonical_json
from riskmodels.config import Settings, get_settings
from riskmodels.contract.privacy import key_id, pseudonym
from riskmodels.loans.errors import Conflict, InvalidInput, UnknownReference
from riskmodels.policy.drawdown import PaymentMode, Refusal, check_draw, refusal_text
from riskmodels.policy.schema import Drawdown
from riskmodels.stores import open_engine, write_transaction

APPROVED = ("approve", "offer")  # system decisions that lend without a person
FinalDecision = Literal["approve", "decline"]

metadata = sa.MetaData()
facilities = sa.Table(
    "loan_facilities", metadata,
    sa.Column("facility_id", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(200), nullable=False, unique=True),  # the audited decision
    sa.Column("account_id", sa.String(200), unique=True),  # the loan system's account (the batch's key)
    sa.Column("opened_at", sa.String(40), nullable=False),
    sa.Column("product", sa.String(40)),
    sa.Column("term_months", sa.Integer),
    sa.Column("rate", sa.Float),
    sa.Column("limit_fen", sa.BigInteger, nullable=False),
    sa.Column("drawn_fen", sa.BigInteger, nullable=False),
    sa.Column("frozen_fen", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.CheckConstraint("drawn_fen >= 0 AND frozen_fen >= 0 AND drawn_fen + frozen_fen <= limit_fen",
                       name="loan_facilities_within_limit"),
)
draws = sa.Table(
    "loan_draws", metadata,
    sa.Column("draw_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(200), nullable=False, unique=True),
    sa.Column("facility_id", sa.String(64), sa.ForeignKey("loan_facilities.facility_id"), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("accepted", sa.Boolean, nullable=False),
    sa.Column("refusal", sa.String(40)),
    sa.Column("payment_mode", sa.String(16), nullable=False),
    sa.Column("available_before_fen", sa.BigInteger, nullable=False),
    sa.Column("available_after_fen", sa.BigInteger, nullable=False),
    sa.Column("payee_hmac", sa.String(64)),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("input_hmac", sa.String(64), nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
)
freezes = sa.Table(
    "loan_freezes", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("facility_id", sa.String(64), sa.ForeignKey("loan_facilities.facility_id"), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # freeze | release
    sa.Column("amount_fen", sa.BigInteger, nullable=False),  # frozen after the event
    sa.Column("source", sa.String(200), nullable=False),
)
outcomes = sa.Table(
    "loan_outcomes", metadata,
    sa.Column("request_id", sa.String(200), primary_key=True),
    sa.Column("recorded_at", sa.String(40), nullable=False),
    sa.Column("application_id", sa.String(200)),
    sa.Column("system_decision", sa.String(16)),
    sa.Column("risk_class", sa.String(16)),
    sa.Column("score", sa.Float),
    sa.Column("system_limit_fen", sa.BigInteger),
    sa.Column("system_rate", sa.Float),
    sa.Column("triggers", sa.Text, nullable=False),  # JSON list of the rule ids that fired
    sa.Column("final", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger),
    sa.Column("rate", sa.Float),
    sa.Column("officer", sa.String(64), nullable=False),
    sa.Column("reason_code", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
)


def to_fen(amount: float, field: str) -> int:
    """CNY to whole fen; ``InvalidInput`` naming ``field`` unless positive with at most 2 decimals."""
    if not amount > 0 or amount != amount:
        raise InvalidInput(field, "must be a positive amount (CNY)", amount)
    fen = round(amount * 100)
    if abs(amount * 100 - fen) > 1e-6:
        raise InvalidInput(field, "must have at most 2 decimals (fen)", amount)
    return int(fen)


def _now(at: datetime | None = None) -> str:
    if at is not None and at.utcoffset() is None:
        raise ValueError(f"times must be timezone-aware; got {at.isoformat()}")
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


class Facility(BaseModel):
    """A credit line opened from an approved decision; amounts in CNY."""

    facility_id: str
    request_id: str = Field(description="The audited decision it was opened from")
    account_id: str | None
    opened_at: str
    product: str | None
    term_months: int | None
    rate: float | None = Field(description="Percent a year")
    limit: float
    drawn: float
    frozen: float = Field(description="Unused limit frozen by post-loan actions")
    available: float = Field(description="limit - drawn - frozen")
    status: Literal["open", "closed"]

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Facility:
        limit, drawn, frozen = int(row["limit_fen"]), int(row["drawn_fen"]), int(row["frozen_fen"])
        return cls(facility_id=row["facility_id"], request_id=row["request_id"], account_id=row["account_id"],
                   opened_at=row["opened_at"], product=row["product"], term_months=row["term_months"],
                   rate=row["rate"], limit=limit / 100, drawn=drawn / 100, frozen=frozen / 100,
                   available=max(0, limit - drawn - frozen) / 100, status=row["status"])


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


class FreezeSummary(BaseModel):
    frozen: int = Field(description="Facilities whose unused limit was frozen now")
    already_frozen: int = Field(description="Facilities with nothing more to freeze")
    without_facility: int = Field(description="Warned accounts with no open facility in this store")


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
    kind: Literal["confirmed", "override_up", "override_down", "reviewed"] = Field(
        description="confirmed: as the system decided; override_up: a rejection approved; override_down: an "
        "automatic approval declined; reviewed: a referral decided by the officer")


def override_kind(system: str | None, final: FinalDecision) -> str:
    if system in APPROVED:
        return "confirmed" if final == "approve" else "override_down"
    if system == "reject":
        return "override_up" if final == "approve" else "confirmed"
    return "reviewed"


@dataclass(frozen=True)
class Payee:
    """Whom the bank pays on an entrusted draw; kept only as a keyed hash."""

    name: str
    account: str


class LoanStore:
    """The store on ``engine``; ``key`` (the pseudonym key) hashes draw requests and payees."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self._key = key
        self._sqlite = engine.dialect.name == "sqlite"
        metadata.create_all(engine)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> LoanStore:
        settings = settings or get_settings()
        return cls(open_engine(settings.resolved_loan_store_url), settings.resolved_pseudonym_key())

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One transaction holding the write lock from its first statement (see the docstring)."""
        with write_transaction(self.engine) as conn:  # two draws never read the same drawn amount
            yield conn

    # -- facilities -------------------------------------------------------------------------
    def open_facility(self, record: AuditRecord, *, account_id: str | None = None,
                      at: datetime | None = None) -> Facility:
        """Open the credit line of an approved decision: the officer's amount and rate when an
        outcome is recorded, else the system's for an automatic approval or offer."""
        recorded = self.outcome(record.request_id)
        if recorded is not None:
            if recorded.final != "approve":
                raise Conflict("decision_request_id", "must name an approved decision: the officer declined it",
                               record.request_id)
            limit_fen, rate = round((recorded.amount or 0) * 100), recorded.rate
        elif record.decision in APPROVED and record.limit_cny:
            limit_fen, rate = round(record.limit_cny * 100), record.rate
        elif record.decision == "review":
            raise Conflict("decision_request_id", "must have the officer's final decision first (POST "
                           "/v1/decisions/{request_id}/outcome): the system referred it to a person",
                           record.request_id)
        else:
            raise Conflict("decision_request_id", f"must name an approved decision; got {record.decision}", record.request_id)
        term = record.input_masked.get("requested_term_months")
        row = {"facility_id": uuid.uuid4().hex, "request_id": record.request_id, "account_id": account_id,
               "opened_at": _now(at), "product": record.input_masked.get("requested_product"),
               "term_months": int(term) if isinstance(term, int | float) else None, "rate": rate,
               "limit_fen": limit_fen, "drawn_fen": 0, "frozen_fen": 0, "status": "open"}
        try:
            with self._writing() as conn:
                conn.execute(facilities.insert().values(**row))
        except IntegrityError as exc:
            taken = self._facility_row(self.engine, account_id=account_id) if account_id else None
            if taken is not None and taken["request_id"] != record.request_id:
                raise Conflict("account_id", "must name one facility only: it names another decision's",
                               account_id) from exc
            raise Conflict("decision_request_id", "must name a decision without an open facility: one is already open",
                           record.request_id) from exc
        return Facility.of(row)

    @staticmethod
    def _facility_row(conn: Connection | Engine, *, facility_id: str | None = None, request_id: str | None = None,
                      account_id: str | None = None, lock: bool = False) -> Mapping[str, Any] | None:
        query = sa.select(facilities)
        if facility_id is not None:
            query = query.where(facilities.c.facility_id == facility_id)
        elif request_id is not None:
            query = query.where(facilities.c.request_id == request_id)
        else:
            query = query.where(facilities.c.account_id == account_id)
        if lock:
            query = query.with_for_update()
        if isinstance(conn, Engine):
            with conn.connect() as c:
                found = c.execute(query).mappings().first()
        else:
            found = conn.execute(query).mappings().first()
        return dict(found) if found is not None else None

    def facility(self, *, facility_id: str | None = None, request_id: str | None = None) -> Facility:
        """The facility by its id or by its decision's request id (``UnknownReference`` naming it)."""
        field, value = ("facility_id", facility_id) if facility_id is not None else ("decision_request_id", request_id)
        row = self._facility_row(self.engine, facility_id=facility_id, request_id=request_id)
        if row is None:
            raise UnknownReference(field, "must name an open facility (POST /v1/facilities opens one from an "
                                   "approved decision)", value)
        return Facility.of(row)

    # -- draws --------------------------------------------------------------------------------
    def draw(self, request_id: str, amount_fen: int, rule: Drawdown, *, facility_id: str | None = None,
             decision_request_id: str | None = None, payee: Payee | None = None,
             sent: Mapping[str, Any] | None = None, at: datetime | None = None) -> tuple[DrawResult, bool]:
        """Check and record one draw: accepted (the drawn amount grows) or refused, recorded
        either way. Returns the answer and whether it is a repeat of ``request_id`` (the same
        request sent again gets its first answer; another body under that id is a ``Conflict``).
        ``sent`` is the request as received, kept as a keyed hash."""
        if (facility_id is None) == (decision_request_id is None):
            raise InvalidInput("facility_id", "must be given, or decision_request_id instead, not both")
        if amount_fen <= 0:
            raise InvalidInput("amount", "must be a positive amount (CNY)", amount_fen / 100)
        input_hmac = pseudonym(canonical_json(sent or {"amount_fen": amount_fen}), self._key)
        with self._writing() as conn:
            earlier = conn.execute(sa.select(draws.c.input_hmac, draws.c.answer)
                                   .where(draws.c.request_id == request_id)).first()
            if earlier is not None:
                if earlier.input_hmac != input_hmac:
                    raise Conflict("X-Request-ID", "must name one draw only: it was sent before with another body",
                                   request_id)
                return DrawResult.model_validate_json(earlier.answer), True
            row = self._facility_row(conn, facility_id=facility_id, request_id=decision_request_id, lock=True)
            if row is None:
                field = "facility_id" if facility_id is not None else "decision_request_id"
                raise UnknownReference(field, "must name an open facility (POST /v1/facilities opens one from an "
                                       "approved decision)", facility_id or decision_request_id)
            limit, drawn, frozen = int(row["limit_fen"]), int(row["drawn_fen"]), int(row["frozen_fen"])
            check = check_draw(amount_fen, limit, drawn, frozen, rule, open_=row["status"] == "open")
            if check.payment_mode == "entrusted" and payee is None:
                raise InvalidInput("payee", f"is required for a draw of {rule.entrusted_payment_from:,.0f} CNY or "
                                   "more: the bank pays the supplier (受托支付)")
            if check.accepted:
                drawn += amount_fen
                conn.execute(facilities.update().where(facilities.c.facility_id == row["facility_id"])
                             .values(drawn_fen=drawn))
            when = _now(at)
            zh, en = refusal_text(check) if check.refusal else (None, None)
            result = DrawResult(
                request_id=request_id, facility_id=row["facility_id"], decision_request_id=row["request_id"], at=when,
                accepted=check.accepted, amount=amount_fen / 100, payment_mode=check.payment_mode,
                available_before=check.available_before_fen / 100, available=check.available_after_fen / 100,
                limit=limit / 100, drawn=drawn / 100, frozen=frozen / 100, refusal=check.refusal,
                refusal_zh=zh, refusal_en=en)
            conn.execute(draws.insert().values(
                request_id=request_id, facility_id=row["facility_id"], at=when, amount_fen=amount_fen,
                accepted=check.accepted, refusal=check.refusal, payment_mode=check.payment_mode,
                available_before_fen=check.available_before_fen, available_after_fen=check.available_after_fen,
                payee_hmac=pseudonym(f"{payee.name}\x1f{payee.account}", self._key) if payee else None,
                key_id=key_id(self._key), input_hmac=input_hmac, answer=result.model_dump_json()))
        return result, False

    def draws_of(self, facility_id: str) -> list[DrawResult]:
        """Every draw on the facility, oldest first, as answered."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(draws.c.answer).where(draws.c.facility_id == facility_id)
                                .order_by(draws.c.draw_id)).scalars().all()
        return [DrawResult.model_validate_json(r) for r in rows]

    # -- freezes ------------------------------------------------------------------------------
    def freeze_unused(self, account_ids: Sequence[str], source: str, at: datetime | None = None) -> FreezeSummary:
        """Freeze the whole unused limit of each account's open facility, in one transaction
        (the early-warning batch's action; seed 000 §七). Accounts without a facility here are
        counted, not an error: the batch monitors the whole book."""
        when, frozen, already, missing = _now(at), 0, 0, 0
        with self._writing() as conn:
            for account_id in dict.fromkeys(account_ids):
                row = self._facility_row(conn, account_id=account_id, lock=True)
                if row is None or row["status"] != "open":
                    missing += 1
                    continue
                unused = int(row["limit_fen"]) - int(row["drawn_fen"])
                if int(row["frozen_fen"]) >= unused:
                    already += 1
                    continue
                self._set_frozen(conn, row["facility_id"], unused, "freeze", source, when)
                frozen += 1
        return FreezeSummary(frozen=frozen, already_frozen=already, without_facility=missing)

    def freeze(self, facility_id: str, source: str, amount_fen: int | None = None,
               at: datetime | None = None) -> Facility:
        """Freeze ``amount_fen`` more of the unused limit (default: all of it), never past it."""
        if amount_fen is not None and amount_fen <= 0:
            raise InvalidInput("amount", "must be a positive amount (CNY)", amount_fen / 100)
        with self._writing() as conn:
            row = self._locked(conn, facility_id)
            unused = int(row["limit_fen"]) - int(row["drawn_fen"])
            target = unused if amount_fen is None else min(unused, int(row["frozen_fen"]) + amount_fen)
            self._set_frozen(conn, facility_id, target, "freeze", source, _now(at))
            row = {**row, "frozen_fen": target}
        return Facility.of(row)

    def release(self, facility_id: str, source: str, at: datetime | None = None) -> Facility:
        """Lift the freeze (the officer recorded the risk as mitigated, 风险缓释)."""
        with self._writing() as conn:
            row = self._locked(conn, facility_id)
            self._set_frozen(conn, facility_id, 0, "release", source, _now(at))
            row = {**row, "frozen_fen": 0}
        return Facility.of(row)

    def _locked(self, conn: Connection, facility_id: str) -> Mapping[str, Any]:
        row = self._facility_row(conn, facility_id=facility_id, lock=True)
        if row is None:
            raise UnknownReference("facility_id", "must name an open facility", facility_id)
        return row

    @staticmethod
    def _set_frozen(conn: Connection, facility_id: str, frozen_fen: int, action: str, source: str, when: str) -> None:
        conn.execute(facilities.update().where(facilities.c.facility_id == facility_id).values(frozen_fen=frozen_fen))
        conn.execute(freezes.insert().values(facility_id=facility_id, at=when, action=action, amount_fen=frozen_fen,
                                             source=source))

    # -- officers' decisions --------------------------------------------------------------------
    def record_outcome(self, record: AuditRecord, final: FinalDecision, *, officer: str, reason_code: str,
                       amount_fen: int | None, rate: float | None, triggers: Sequence[str],
                       at: datetime | None = None) -> RecordedOutcome:
        """Record the officer's final decision on ``record`` once (a second is a ``Conflict``:
        a correction is a new application, so the first stays as it was acted on)."""
        application_id = record.input_masked.get("application_id")
        row = {"request_id": record.request_id, "recorded_at": _now(at),
               "application_id": application_id if isinstance(application_id, str) else None,
               "system_decision": record.decision, "risk_class": record.risk_class, "score": record.score,
               "system_limit_fen": round(record.limit_cny * 100) if record.limit_cny is not None else None,
               "system_rate": record.rate, "triggers": json.dumps(list(triggers)), "final": final,
               "amount_fen": amount_fen, "rate": rate, "officer": officer, "reason_code": reason_code,
               "kind": override_kind(record.decision, final)}
        try:
            with self._writing() as conn:
                conn.execute(outcomes.insert().values(**row))
        except IntegrityError as exc:
            raise Conflict("request_id", "must name a decision without a recorded outcome: one is recorded "
                           "(a correction is a new application)", record.request_id) from exc
        return _outcome(row)

    def outcome(self, request_id: str) -> RecordedOutcome | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(outcomes).where(outcomes.c.request_id == request_id)).mappings().first()
        return _outcome(dict(row)) if row is not None else None

    def outcome_rows(self) -> list[dict[str, Any]]:
        """Every recorded outcome as a plain row (for the report)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(outcomes).order_by(outcomes.c.recorded_at)).mappings().all()
        return [{**r, "triggers": json.loads(r["triggers"])} for r in rows]


def _outcome(row: Mapping[str, Any]) -> RecordedOutcome:
    amount = row["amount_fen"]
    return RecordedOutcome(request_id=row["request_id"], recorded_at=row["recorded_at"],
                           system_decision=row["system_decision"], risk_class=row["risk_class"],
                           triggers=json.loads(row["triggers"]), final=row["final"],
                           amount=amount / 100 if amount is not None else None, rate=row["rate"],
                           officer=row["officer"], reason_code=row["reason_code"], kind=row["kind"])
