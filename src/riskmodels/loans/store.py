"""The loan store: facilities opened from approved decisions, every draw on them, the freezes of
post-loan warnings, and officers' final decisions. SQLAlchemy Core on one engine
(``riskmodels.stores``): SQLite by default, PostgreSQL when ``RISKMODELS_LOAN_STORE_URL`` names it.
``LoanStore`` holds the transactions; each concern is in its module, the one writer of its rows:
``facilities`` (opening a line, its term), ``draws`` (the drawn amount, retries), ``freezes``
(the frozen amount, its history), ``outcomes`` (officers' decisions); ``schema`` has the tables.

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

Terms. A facility expires ``term_months`` after it is opened (``riskmodels.loans.terms``); a
draw on or after that date is refused as an ``Expired`` conflict and its available amount is 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from riskmodels.audit import AuditRecord
from riskmodels.config import Settings, get_settings
from riskmodels.loans.draws import DrawResult, Payee, PendingDraw, answers_of, record_draw
from riskmodels.loans.errors import Conflict, InvalidInput, UnknownReference
from riskmodels.loans.facilities import (
    OPEN_RULE,
    Facility,
    facility_row,
    insert_facility,
    locked_facility,
    opening_conflict,
    opening_row,
)
from riskmodels.loans.freezes import (
    FreezeEvent,
    FreezeSummary,
    check_actor,
    events_of,
    freeze_accounts,
    freeze_row,
    release_row,
)
from riskmodels.loans.outcomes import (
    FinalDecision,
    RecordedOutcome,
    all_outcome_rows,
    insert_outcome,
    outcome_of,
    outcome_row,
)
from riskmodels.loans.schema import create_tables, day, now
from riskmodels.policy.schema import Drawdown, Products
from riskmodels.stores import open_engine, write_transaction


class LoanStore:
    """The store on ``engine``; ``key`` (the pseudonym key) hashes draw requests and payees."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self._key = key
        create_tables(engine)

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
    def open_facility(self, record: AuditRecord, *, account_id: str | None = None, at: datetime | None = None,
                      products: Products | None = None) -> Facility:
        """Open the credit line of an approved decision: the officer's amount and rate when an
        outcome is recorded, else the system's for an automatic approval or offer. It lasts the
        requested term, at most the product's (``products``: the lending policy's; default the
        packaged policy's), from today."""
        if products is None:
            from riskmodels.policy import load_policy

            products = load_policy().products
        row = opening_row(record, self.outcome(record.request_id), account_id, now(at), products)
        try:
            with self._writing() as conn:
                insert_facility(conn, row)
        except IntegrityError as exc:
            raise opening_conflict(self.engine, row) from exc
        return Facility.of(row, day(row["opened_at"]))

    def facility(self, *, facility_id: str | None = None, request_id: str | None = None,
                 at: datetime | None = None) -> Facility:
        """The facility by its id or by its decision's request id (``UnknownReference`` naming it),
        its available amount as of ``at`` (default now)."""
        field, value = ("facility_id", facility_id) if facility_id is not None else ("decision_request_id", request_id)
        row = facility_row(self.engine, facility_id=facility_id, request_id=request_id)
        if row is None:
            raise UnknownReference(field, OPEN_RULE, value)
        return Facility.of(row, day(now(at)))

    # -- draws --------------------------------------------------------------------------------
    def draw(self, request_id: str, amount_fen: int, rule: Drawdown, *, facility_id: str | None = None,
             decision_request_id: str | None = None, payee: Payee | None = None,
             sent: Mapping[str, Any] | None = None, at: datetime | None = None,
             idempotency_key: str | None = None) -> tuple[DrawResult, bool]:
        """Check and record one draw: accepted (the drawn amount grows) or refused, recorded
        either way. Returns the answer and whether it is a repeat: the same ``request_id`` or
        ``idempotency_key`` sent again with the same body gets its first answer and draws
        nothing; another body under either is a ``Conflict`` naming the header. ``sent`` is the
        request as received, kept as a keyed hash. A facility past its expiry is ``Expired``."""
        draw = PendingDraw.of(self._key, request_id, amount_fen, facility_id=facility_id,
                              decision_request_id=decision_request_id, payee=payee, sent=sent,
                              idempotency_key=idempotency_key)
        when = now(at)
        try:
            with self._writing() as conn:
                return record_draw(conn, self._key, draw, rule, when)
        except IntegrityError:
            # A repeat racing this one committed the same request id or key first (two
            # transactions may both find it new on PostgreSQL): once more, it is a repeat now.
            with self._writing() as conn:
                return record_draw(conn, self._key, draw, rule, when)

    def draws_of(self, facility_id: str) -> list[DrawResult]:
        """Every draw on the facility, oldest first, as answered."""
        with self.engine.connect() as conn:
            return answers_of(conn, facility_id)

    # -- freezes ------------------------------------------------------------------------------
    def freeze_unused(self, account_ids: Sequence[str], source: str, at: datetime | None = None) -> FreezeSummary:
        """Freeze the whole unused limit of each account's open facility, in one transaction
        (the early-warning batch's action; seed 000 §七). Accounts without a facility here are
        counted, not an error: the batch monitors the whole book."""
        when = now(at)
        with self._writing() as conn:
            return freeze_accounts(conn, account_ids, source, when)

    def freeze(self, facility_id: str, source: str, amount_fen: int | None = None, at: datetime | None = None,
               *, officer: str | None = None, reason: str | None = None) -> Facility:
        """Freeze ``amount_fen`` more of the unused limit (default: all of it), never past it; the
        same path as the batch's. Nothing more to freeze: nothing written (freezing twice is one
        freeze)."""
        if amount_fen is not None and amount_fen <= 0:
            raise InvalidInput("amount", "must be a positive amount (CNY)", amount_fen / 100)
        check_actor(officer, reason)
        when = now(at)
        with self._writing() as conn:
            row = locked_facility(conn, facility_id)
            if freeze_row(conn, row, amount_fen, source, when, officer, reason):
                row = locked_facility(conn, facility_id)
        return Facility.of(row, day(when))

    def release(self, facility_id: str, source: str, at: datetime | None = None, *, officer: str | None = None,
                reason: str | None = None) -> Facility:
        """Lift the freeze (the officer recorded the risk as mitigated, 风险缓释). Nothing frozen:
        nothing written."""
        check_actor(officer, reason)
        when = now(at)
        with self._writing() as conn:
            row = release_row(conn, locked_facility(conn, facility_id), source, when, officer, reason)
        return Facility.of(row, day(when))

    def freezes_of(self, facility_id: str) -> list[FreezeEvent]:
        """Every freeze and release of the facility, oldest first."""
        with self.engine.connect() as conn:
            return events_of(conn, facility_id)

    # -- officers' decisions --------------------------------------------------------------------
    def record_outcome(self, record: AuditRecord, final: FinalDecision, *, officer: str, reason_code: str,
                       amount_fen: int | None, rate: float | None, triggers: Sequence[str],
                       at: datetime | None = None) -> RecordedOutcome:
        """Record the officer's final decision on ``record`` once (a second is a ``Conflict``:
        a correction is a new application, so the first stays as it was acted on)."""
        row = outcome_row(record, final, officer=officer, reason_code=reason_code, amount_fen=amount_fen,
                          rate=rate, triggers=triggers, recorded_at=now(at))
        try:
            with self._writing() as conn:
                insert_outcome(conn, row)
        except IntegrityError as exc:
            raise Conflict("request_id", "must name a decision without a recorded outcome: one is recorded "
                           "(a correction is a new application)", record.request_id) from exc
        return RecordedOutcome.of(row)

    def outcome(self, request_id: str) -> RecordedOutcome | None:
        with self.engine.connect() as conn:
            return outcome_of(conn, request_id)

    def outcome_rows(self) -> list[dict[str, Any]]:
        """Every recorded outcome as a plain row (for the report)."""
        with self.engine.connect() as conn:
            return all_outcome_rows(conn)
