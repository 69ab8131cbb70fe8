"""The link store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Times are whole microseconds since the Unix epoch, UTC (``BIGINT``): compared exactly and alike
on both engines, whatever their session time zone. Identifiers are keyed hashes (64 hex
characters); lists also keep a masked copy for the people who manage them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

HASH = sa.String(64)
TEXT = sa.String(500)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

metadata = sa.MetaData()

# One row per application the platform has seen, by its request id.
applications = sa.Table(
    "link_applications", metadata,
    sa.Column("request_id", sa.String(200), primary_key=True),
    sa.Column("application_id", sa.String(200), nullable=True),
    sa.Column("applied_us", sa.BigInteger, nullable=False),
    sa.Column("owner_hash", HASH, nullable=False),
    sa.Column("phone_hash", HASH, nullable=True),
    sa.Column("device_hash", HASH, nullable=True),
    sa.Column("address_hash", HASH, nullable=True),
    # The owner's velocity reads (owner, time); each shared count reads (identifier, time) and
    # counts distinct owners, which the third column answers from the index alone.
    sa.Index("ix_link_owner_time", "owner_hash", "applied_us"),
    sa.Index("ix_link_phone_time", "phone_hash", "applied_us", "owner_hash"),
    sa.Index("ix_link_device_time", "device_hash", "applied_us", "owner_hash"),
    sa.Index("ix_link_address_time", "address_hash", "applied_us", "owner_hash"),
)

# The store's own facts: the id of the key its hashes were made with.
meta = sa.Table(
    "link_store_meta", metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

list_entries = sa.Table(
    "list_entries", metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("list_kind", sa.String(20), nullable=False),
    sa.Column("identifier_kind", sa.String(20), nullable=False),
    sa.Column("identifier_hash", HASH, nullable=False),
    sa.Column("identifier_masked", sa.String(200), nullable=False),
    sa.Column("source", TEXT, nullable=False),
    sa.Column("added_by", sa.String(200), nullable=False),
    sa.Column("reason", TEXT, nullable=False),
    sa.Column("added_us", sa.BigInteger, nullable=False),
    sa.Column("expires_us", sa.BigInteger, nullable=False),
    sa.Column("removed_us", sa.BigInteger, nullable=True),
    sa.Column("removed_by", sa.String(200), nullable=True),
    sa.Column("removed_reason", TEXT, nullable=True),
    sa.Index("ix_list_hash", "identifier_hash", "list_kind"),
)

# Every change to a list, appended and never updated: who did what to which entry, when, why.
list_changes = sa.Table(
    "list_changes", metadata,
    sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("list_entries.entry_id"), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("at_us", sa.BigInteger, nullable=False),
    sa.Column("by", sa.String(200), nullable=False),
    sa.Column("reason", TEXT, nullable=False),
)


def to_us(at: datetime) -> int:
    """A timezone-aware time as whole microseconds since the epoch (UTC)."""
    if at.utcoffset() is None:
        raise ValueError(f"a store time must be timezone-aware; got {at.isoformat()}")
    delta = at.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The UTC time of ``to_us``."""
    return EPOCH + timedelta(microseconds=us)
