"""The loan store's tables, how a store written by an earlier release is brought up to date, and
how times are kept (UTC, ISO text). Each table has one writer: ``facilities`` (opening a line),
``draws`` (the drawn amount and the draws), ``freezes`` (the frozen amount and its history),
``outcomes`` (officers' decisions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from riskmodels.stores import schema_transaction

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
    sa.Column("expires_on", sa.String(10)),  # ISO date; null only on lines opened before terms were kept
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
draw_keys = sa.Table(
    "loan_draw_keys", metadata,
    sa.Column("key_hmac", sa.String(64), primary_key=True),  # the client's Idempotency-Key, keyed hash
    sa.Column("request_id", sa.String(200), sa.ForeignKey("loan_draws.request_id"), nullable=False),
    sa.Column("key_id", sa.String(16), nullable=False),
)
freezes = sa.Table(
    "loan_freezes", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("facility_id", sa.String(64), sa.ForeignKey("loan_facilities.facility_id"), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # freeze | release
    sa.Column("amount_fen", sa.BigInteger, nullable=False),  # frozen after the event
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("officer", sa.String(64)),  # an officer's freeze or release (null: the batch's)
    sa.Column("reason", sa.Text),
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
# Columns added since the first release: a store written before them gets them in place.
_ADDED_COLUMNS = {facilities: ("expires_on",), freezes: ("officer", "reason")}


def create_tables(engine: Engine) -> None:
    """Create what is missing: the tables, then the columns an earlier release's store lacks
    (nullable ones, added in place)."""
    with schema_transaction(engine) as conn:  # one process at a time: workers start together
        metadata.create_all(conn)
        inspector = sa.inspect(conn)
        for table, names in _ADDED_COLUMNS.items():
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for name in names:
                if name not in present:
                    kind = table.c[name].type.compile(engine.dialect)
                    conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")


def now(at: datetime | None = None) -> str:
    """``at`` (default now) as stored: UTC, ISO, to the microsecond; a naive time is refused."""
    if at is not None and at.utcoffset() is None:
        raise ValueError(f"times must be timezone-aware; got {at.isoformat()}")
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def day(when: str) -> date:
    """The UTC day of a stored time (the store keeps UTC times; terms run in whole days)."""
    return datetime.fromisoformat(when).date()
