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
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from riskmodels.config import Settings
from riskmodels.contract.privacy import key_id
from riskmodels.links import tables as t
from riskmodels.links.counts import VELOCITY_WINDOWS_US, LinkCounts, in_place
from riskmodels.links.identifiers import IdentifierKind, hashes_of
from riskmodels.links.lists import Lists
from riskmodels.stores import open_engine, redacted, write_transaction

_HASH_COLUMN = {IdentifierKind.PHONE: "phone_hash", IdentifierKind.DEVICE: "device_hash",
                IdentifierKind.ADDRESS: "address_hash"}


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

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine, self._key = engine, key
        t.metadata.create_all(engine)
        self._check_key(key_id(key))
        self.lists = Lists(engine, key)

    @classmethod
    def open(cls, url: str, key: bytes) -> LinkStore:
        return cls(open_engine(url), key)

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkStore:
        """The store of the settings' URL, hashing with their pseudonym key."""
        return cls.open(settings.resolved_link_store_url, settings.resolved_pseudonym_key())

    def close(self) -> None:
        self.engine.dispose()

    def _check_key(self, kid: str) -> None:
        with self.engine.begin() as conn:
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
        try:
            return self._observe_all(rows, start)
        except IntegrityError:
            # Another request recorded one of these request ids first (possible on PostgreSQL,
            # where two transactions may both find it new): it is now seen, so this is a repeat.
            return self._observe_all(rows, start)

    def _observe_all(self, rows: Sequence[tuple[str, Mapping[str, Any]]], start_us: int) -> list[Observed]:
        with write_transaction(self.engine) as conn:
            return [self._observe(conn, request_id, row, start_us + offset)
                    for offset, (request_id, row) in enumerate(rows)]

    def _observe(self, conn: Connection, request_id: str, row: Mapping[str, Any], at_us: int) -> Observed:
        hashes = hashes_of(row, self._key)
        if IdentifierKind.ID_NUMBER not in hashes:
            raise LinkStoreError(f"owner_id_number must be given to link an application; got {row.get('owner_id_number')!r}")
        seen = conn.execute(sa.select(t.applications.c.applied_us).where(
            t.applications.c.request_id == request_id)).scalar_one_or_none()
        new = seen is None
        if seen is None:
            conn.execute(t.applications.insert().values(
                request_id=request_id, application_id=row.get("application_id"), applied_us=at_us,
                owner_hash=hashes[IdentifierKind.ID_NUMBER], **{c: hashes.get(k) for k, c in _HASH_COLUMN.items()}))
        else:
            at_us = int(seen)
        counts = self._counts(conn, hashes, at_us, _text(row.get("application_id")))
        hit = self.lists.hit(conn, hashes.values(), at_us)
        return Observed(request_id, t.from_us(at_us), counts, hit, new)

    def counts_at(self, row: Mapping[str, Any], at: datetime) -> LinkCounts:
        """The counts of an application carrying ``row``'s identifiers at ``at``, recording nothing."""
        with self.engine.connect() as conn:
            return self._counts(conn, hashes_of(row, self._key), t.to_us(at), _text(row.get("application_id")))

    def _counts(self, conn: Connection, hashes: Mapping[IdentifierKind, str], at_us: int,
                application_id: str | None = None) -> LinkCounts:
        # One round trip: a scalar subquery per count, each served by its index.
        apps = t.applications
        owner = hashes.get(IdentifierKind.ID_NUMBER)
        before = apps.c.applied_us < at_us
        others = apps.c.owner_hash != owner if owner is not None else sa.true()
        columns: dict[str, Any] = {}
        for kind, column in _HASH_COLUMN.items():
            value = hashes.get(kind)
            columns[kind.value] = sa.literal(None, sa.Integer) if value is None else (
                sa.select(sa.func.count(sa.distinct(apps.c.owner_hash)))
                .where(apps.c[column] == value, before, others).scalar_subquery())
        # Velocity counts the owner's other applications: the same application scored again
        # (a new request id, the loan system retrying or re-deciding) is not a new one.
        same = apps.c.application_id != application_id if application_id is not None else sa.true()
        for name, window in VELOCITY_WINDOWS_US.items():
            columns[name] = sa.literal(None, sa.Integer) if owner is None else (
                sa.select(sa.func.count(sa.distinct(sa.func.coalesce(apps.c.application_id, apps.c.request_id))))
                .where(apps.c.owner_hash == owner, before, same,
                       apps.c.applied_us >= at_us - window).scalar_subquery())
        got = conn.execute(sa.select(*(c.label(n) for n, c in columns.items()))).one()._mapping
        return LinkCounts(phone_shared_count=got["phone"], device_shared_count=got["device"],
                          address_shared_count=got["address"], applications_7d=got["applications_7d"],
                          applications_30d=got["applications_30d"])

    def in_place_rows(self, rows: Sequence[tuple[str, Mapping[str, Any]]],
                      at: datetime | None = None) -> list[dict[str, Any]]:
        """Record ``rows`` (request id, application) and return each with the store's counts and
        list check in place of the caller's (``links.counts.in_place``): what scoring decides on."""
        return [in_place(row, seen.counts, seen.list_hit)
                for (_, row), seen in zip(rows, self.observe_many(rows, at), strict=True)]

    def count(self) -> int:
        """Applications recorded."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.applications)).scalar_one())


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
