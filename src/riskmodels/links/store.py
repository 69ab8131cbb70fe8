"""The platform's identity-link store: every application's hashed identifiers, with its time.

``LinkStore.observe`` records an application under its request id (once: a retry with the
same id is not counted twice, and gets the counts it got the first time) and answers its link
and velocity counts as of its time (``links.counts`` defines them). The lists
(``links.lists``) live in the same database. Embedded SQLite by default
(``<home>/stores/links.sqlite``); PostgreSQL when ``RISKMODELS_LINK_STORE_URL`` names it.

The hashes are keyed with the pseudonym key, so they link only under the key that made them:
the store remembers that key's id and refuses another one (a rotation starts a new store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor

from riskmodels.config import Settings
from riskmodels.contract.privacy import key_id
from riskmodels.links import statements as st
from riskmodels.links import tables as t
from riskmodels.links.counts import LinkCounts, in_place
from riskmodels.links.identifiers import IdentifierKind, hashes_of
from riskmodels.links.lists import Lists
from riskmodels.stores import driver_transaction, open_engine, redacted, schema_transaction


class LinkStoreError(ValueError):
    """The link store cannot be used as asked (another key's hashes, an application without owner)."""


@dataclass(frozen=True)
class Observed:
    """One application as the store answered it: its time and counts, and whether it was new."""

    request_id: str
    applied_at: datetime
    counts: LinkCounts
    list_hit: bool
    new: bool


class LinkStore:
    """Applications' hashed identifiers over time, and the lists, in one database."""

    def __init__(self, engine: Engine, key: bytes, observations: Engine | None = None) -> None:
        self.engine, self._key = engine, key
        # The records of scored applications go through their own engine, which need not wait
        # for the disk (``open``); the lists, through ``engine``.
        self.observations = observations or engine
        with schema_transaction(engine) as conn:
            t.metadata.create_all(conn)
            self._check_key(conn, key_id(key))
        self.lists = Lists(engine, key)

    @classmethod
    def open(cls, url: str, key: bytes) -> LinkStore:
        """The store at ``url``. Lists are written durably; each scored application's record
        is not waited onto the disk (``stores.open_engine(durable=False)``): that fsync, on
        every decision, would double the service's latency, while a power cut loses only the
        last few records, whose counts each decision's durable audit record already holds."""
        engine = open_engine(url)
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            return cls(engine, key)  # a second engine would open a second, empty database
        return cls(engine, key, open_engine(url, durable=False))

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkStore:
        """The store of the settings' URL, hashing with their pseudonym key."""
        return cls.open(settings.resolved_link_store_url, settings.resolved_pseudonym_key())

    def close(self) -> None:
        self.engine.dispose()
        self.observations.dispose()

    def _check_key(self, conn: Connection, kid: str) -> None:
        stored = conn.execute(sa.select(t.meta.c.value).where(t.meta.c.name == "key_id")).scalar_one_or_none()
        if stored is None:
            conn.execute(t.meta.insert().values(name="key_id", value=kid))
        elif stored != kid:
            raise LinkStoreError(
                f"the pseudonym key must be the one the link store {redacted(str(self.engine.url))} was made "
                f"with (key id {stored}); got key id {kid}: hashes under another key never match")

    # -- recording and counting -------------------------------------------------------------
    def observe(self, request_id: str, row: Mapping[str, Any], at: datetime | None = None) -> Observed:
        """Record one application (if its request id is new) and answer its counts."""
        return self.observe_many([(request_id, row)], at)[0]

    def observe_many(self, rows: Sequence[tuple[str, Mapping[str, Any]]], at: datetime | None = None) -> list[Observed]:
        """Record applications in order, in one transaction, and answer each one's counts as of
        its time: ``at`` (default now) plus its position in microseconds, so a batch's later
        row sees its earlier ones. A request id seen before keeps its first time and counts."""
        start = t.to_us(at or datetime.now(UTC))
        dialect = self.observations.dialect
        with driver_transaction(self.observations, write=True) as cursor:
            return [self._observe(cursor, dialect, request_id, row, start + offset)
                    for offset, (request_id, row) in enumerate(rows)]

    def _observe(self, cursor: DBAPICursor, dialect: Dialect, request_id: str, row: Mapping[str, Any],
                 at_us: int) -> Observed:
        hashes = hashes_of(row, self._key)
        if IdentifierKind.ID_NUMBER not in hashes:
            raise LinkStoreError(f"owner_id_number must be given to link an application; got {row.get('owner_id_number')!r}")
        # Insert first: a new request id (the usual case) then needs no read to find it new. On
        # PostgreSQL, an insert racing another transaction's waits for it and then does nothing.
        cursor.execute(st.sql(st.record(dialect.name), dialect), {
            "request_id": request_id, "application_id": row.get("application_id"), "applied_us": at_us,
            "owner_hash": hashes[IdentifierKind.ID_NUMBER],
            **{c: hashes.get(k) for k, c in st.HASH_COLUMN.items()}})
        new = cursor.fetchone() is not None
        if not new:
            cursor.execute(st.sql(st.SEEN, dialect), {"request_id": request_id})
            at_us = int(_row(cursor)[0])
        counts, hit = _counts(cursor, dialect, hashes, at_us, _text(row.get("application_id")))
        return Observed(request_id, t.from_us(at_us), counts, hit, new)

    def counts_at(self, row: Mapping[str, Any], at: datetime) -> LinkCounts:
        """The counts of an application carrying ``row``'s identifiers at ``at``, recording nothing."""
        with driver_transaction(self.engine, write=False) as cursor:
            return _counts(cursor, self.engine.dialect, hashes_of(row, self._key), t.to_us(at),
                           _text(row.get("application_id")))[0]

    def in_place_rows(self, rows: Sequence[tuple[str, Mapping[str, Any]]],
                      at: datetime | None = None) -> list[dict[str, Any]]:
        """Record ``rows`` (request id, application) and return each with the store's counts and
        list check in place of the caller's (``links.counts.in_place``): what scoring decides on."""
        return self.recorded_rows(rows, at)[0]

    def recorded_rows(self, rows: Sequence[tuple[str, Mapping[str, Any]]],
                      at: datetime | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """``in_place_rows``, and the request ids this call recorded new (``forget`` takes them
        back when their decisions are refused)."""
        seen = self.observe_many(rows, at)
        return ([in_place(row, s.counts, s.list_hit) for (_, row), s in zip(rows, seen, strict=True)],
                [s.request_id for s in seen if s.new])

    def forget(self, request_ids: Sequence[str]) -> int:
        """Remove the applications recorded under ``request_ids``: a caller whose decision was
        refused after it was recorded (its audit commit failed, its request id named another
        decision) must leave no application behind to count in later decisions. Pass only the
        ids this caller recorded new (``Observed.new``): a retry's id names the first one's row."""
        if not request_ids:
            return 0
        with self.observations.begin() as conn:
            gone = conn.execute(t.applications.delete().where(t.applications.c.request_id.in_(list(request_ids))))
        return int(gone.rowcount)

    def count(self) -> int:
        """Applications recorded."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.applications)).scalar_one())


def _counts(cursor: DBAPICursor, dialect: Dialect, hashes: Mapping[IdentifierKind, str], at_us: int,
            application_id: str | None) -> tuple[LinkCounts, bool]:
    """The counts at ``at_us`` and whether an identifier is on a list then."""
    owner = IdentifierKind.ID_NUMBER in hashes
    statement = st.counts(frozenset(k for k in hashes if k in st.HASH_COLUMN), owner,
                          owner and application_id is not None)
    cursor.execute(st.sql(statement, dialect), st.counts_params(hashes, at_us, application_id))
    got = dict(zip([column[0] for column in cursor.description], _row(cursor), strict=True))
    return LinkCounts(phone_shared_count=got["phone"], device_shared_count=got["device"],
                      address_shared_count=got["address"], applications_7d=got["applications_7d"],
                      applications_30d=got["applications_30d"]), bool(got["listed"])


def _row(cursor: DBAPICursor) -> Sequence[Any]:
    row = cursor.fetchone()
    if row is None:  # each statement read here answers one row
        raise LinkStoreError("the link store answered no row where one was due")
    return cast(Sequence[Any], row)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
