"""Blacklists the platform keeps: the central bank's (PBOC), the bank's own, and the courts'
list of dishonest judgment debtors (失信被执行人).

Each entry is one keyed hash of an identifier (owner ID number, phone, device, address) on one
list, with its provenance (source, who added it, why), when it was added and when it expires.
An entry hits from its addition until it expires or is removed. A removal is a soft delete
(who, when, why kept on the entry), and every change, addition or removal, is also appended to
``list_changes``, which is never updated: the history of a list can always be read back.

The exit rules of collection (seed 002 §六(四)4: two interest arrears, a blacklist, usury) put
the owner on the bank's own list: ``Lists.add_from_exit_rule``, which the early-warning batch
calls for every account it exits (``riskmodels.loans.exits``), with the rule, the account and
the batch's date as provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from riskmodels.contract import APPLICATIONS
from riskmodels.links import tables as t
from riskmodels.links.identifiers import COLUMN_OF, IdentifierKind, hashed, identifiers_of, masked, normalised


class ListKind(StrEnum):
    PBOC = "pboc"  # the central bank's (人民银行征信) adverse records
    BANK = "bank"  # the bank's own
    COURT = "court"  # 失信被执行人, the Supreme People's Court's list


# How long an entry lasts when no expiry is given: PBOC keeps adverse records five years
# (征信业管理条例 art. 16); a court listing lasts two years unless extended (最高人民法院关于
# 公布失信被执行人名单信息的若干规定 art. 2); five years for the bank's own, the bank's to change.
# Years an entry stays on its list unless given another expiry: calendar years, not 365 days.
DEFAULT_TERM = {ListKind.PBOC: 5, ListKind.BANK: 5, ListKind.COURT: 2}


def years_later(at: datetime, years: int) -> datetime:
    """The same moment ``years`` calendar years later (29 February: the 28th)."""
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)


class ExitRule(StrEnum):
    """Collection's exit rules (DOMAIN §3.5) that put an owner on the bank's own list."""

    TWO_INTEREST_ARREARS = "two_interest_arrears"
    BLACKLIST = "blacklist"
    USURY = "usury"


class ListError(ValueError):
    """A list change that cannot be made; the message names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ListEntry:
    entry_id: int
    list_kind: ListKind
    identifier_kind: IdentifierKind
    identifier_masked: str
    source: str
    added_by: str
    reason: str
    added_at: datetime
    expires_at: datetime
    removed_at: datetime | None
    removed_by: str | None
    removed_reason: str | None

    def active_at(self, at: datetime) -> bool:
        return self.added_at <= at < self.expires_at and (self.removed_at is None or at < self.removed_at)

    def state_at(self, at: datetime) -> str:
        if self.removed_at is not None and self.removed_at <= at:
            return "removed"
        if at >= self.expires_at:
            return "expired"
        return "active" if at >= self.added_at else "future"


@dataclass(frozen=True)
class ListChange:
    change_id: int
    entry_id: int
    action: str
    at: datetime
    by: str
    reason: str


def _text(field: str, value: str) -> str:
    if not value or not value.strip():
        raise ListError(field, f"{field} must be a non-empty text; got {value!r}")
    return value.strip()


def _entry(row: sa.RowMapping) -> ListEntry:
    removed = row["removed_us"]
    return ListEntry(
        entry_id=int(row["entry_id"]), list_kind=ListKind(row["list_kind"]),
        identifier_kind=IdentifierKind(row["identifier_kind"]), identifier_masked=row["identifier_masked"],
        source=row["source"], added_by=row["added_by"], reason=row["reason"], added_at=t.from_us(row["added_us"]),
        expires_at=t.from_us(row["expires_us"]), removed_at=None if removed is None else t.from_us(removed),
        removed_by=row["removed_by"], removed_reason=row["removed_reason"])


class Lists:
    """The lists in the link store's database (``LinkStore.lists``)."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine, self._key = engine, key

    def add(self, list_kind: ListKind, identifier_kind: IdentifierKind, value: str, *, source: str, added_by: str,
            reason: str, at: datetime | None = None, expires_at: datetime | None = None) -> ListEntry:
        """Put an identifier on a list (hashed; a masked copy kept for people to read)."""
        now = at or datetime.now(UTC)
        expires = expires_at or years_later(now, DEFAULT_TERM[list_kind])
        if expires <= now:
            raise ListError("expires", f"expires must be after the entry is added ({now.isoformat()}); "
                                       f"got {expires.isoformat()}")
        column = COLUMN_OF[identifier_kind]
        try:
            digest, shown = hashed(identifier_kind, value, self._key), masked(identifier_kind, value)
        except ValueError as exc:
            raise ListError(column, str(exc)) from exc
        # Judged as an application's value is (once written the platform's one way): an entry
        # no application can carry would never hit. The value is not quoted back.
        rule = APPLICATIONS.column(column).format_problem(normalised(identifier_kind, value))
        if rule is not None:
            raise ListError(column, f"{column} {rule}, as an application's must (an entry no application can "
                                    "carry would never hit)")
        values = dict(list_kind=list_kind.value, identifier_kind=identifier_kind.value, identifier_hash=digest,
                      identifier_masked=shown, source=_text("source", source), added_by=_text("by", added_by),
                      reason=_text("reason", reason), added_us=t.to_us(now), expires_us=t.to_us(expires))
        with self.engine.begin() as conn:
            inserted = conn.execute(t.list_entries.insert().values(**values)).inserted_primary_key
            assert inserted is not None  # an INSERT of one row
            entry_id = inserted[0]
            conn.execute(t.list_changes.insert().values(entry_id=entry_id, action="add", at_us=values["added_us"],
                                                        by=values["added_by"], reason=values["reason"]))
        return self.get(int(entry_id))

    def remove(self, entry_id: int, *, by: str, reason: str, at: datetime | None = None) -> ListEntry:
        """Take an active entry off its list (kept, marked removed, the change recorded). An
        unknown, expired or already removed entry is refused, naming ``entry_id``."""
        now = at or datetime.now(UTC)
        by, reason = _text("by", by), _text("reason", reason)
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(t.list_entries).where(t.list_entries.c.entry_id == entry_id)
                               .with_for_update()).one_or_none()
            if row is None:
                raise ListError("entry_id", f"entry_id must name a list entry; got {entry_id} (no such entry)")
            entry = _entry(row._mapping)
            state = entry.state_at(now)
            if state != "active":
                when = {"removed": entry.removed_at, "expired": entry.expires_at, "future": entry.added_at}[state]
                raise ListError("entry_id", f"entry_id must name an active list entry; got {entry_id} "
                                            f"({state} {'from' if state == 'future' else 'on'} {when:%Y-%m-%d %H:%M} UTC)")
            at_us = t.to_us(now)
            conn.execute(t.list_entries.update().where(t.list_entries.c.entry_id == entry_id)
                         .values(removed_us=at_us, removed_by=by, removed_reason=reason))
            conn.execute(t.list_changes.insert().values(entry_id=entry_id, action="remove", at_us=at_us, by=by,
                                                        reason=reason))
        return self.get(entry_id)

    def get(self, entry_id: int) -> ListEntry:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.list_entries).where(t.list_entries.c.entry_id == entry_id)).one_or_none()
        if row is None:
            raise ListError("entry_id", f"entry_id must name a list entry; got {entry_id} (no such entry)")
        return _entry(row._mapping)

    def entries(self, list_kind: ListKind | None = None, *, identifier: tuple[IdentifierKind, str] | None = None,
                active_at: datetime | None = None) -> list[ListEntry]:
        """The entries, oldest first: of one list, of one identifier, or only those active at a time."""
        query = sa.select(t.list_entries).order_by(t.list_entries.c.entry_id)
        if list_kind is not None:
            query = query.where(t.list_entries.c.list_kind == list_kind.value)
        if identifier is not None:
            kind, value = identifier
            query = query.where(t.list_entries.c.identifier_kind == kind.value,
                                t.list_entries.c.identifier_hash == hashed(kind, value, self._key))
        if active_at is not None:
            query = query.where(*_active(t.to_us(active_at)))
        with self.engine.connect() as conn:
            return [_entry(r._mapping) for r in conn.execute(query)]

    def changes(self, entry_id: int | None = None) -> list[ListChange]:
        """Every change made to the lists (or to one entry), in the order made."""
        query = sa.select(t.list_changes).order_by(t.list_changes.c.change_id)
        if entry_id is not None:
            query = query.where(t.list_changes.c.entry_id == entry_id)
        with self.engine.connect() as conn:
            return [ListChange(int(r.change_id), int(r.entry_id), r.action, t.from_us(r.at_us), r.by, r.reason)
                    for r in conn.execute(query)]

    def hit(self, conn: Connection, hashes: Iterable[str], at_us: int) -> bool:
        """Whether any of these hashed identifiers is on any list at ``at_us`` (on ``conn``)."""
        wanted = list(hashes)
        if not wanted:
            return False
        query = sa.select(t.list_entries.c.entry_id).where(
            t.list_entries.c.identifier_hash.in_(wanted), *_active(at_us)).limit(1)
        return conn.execute(query).first() is not None

    def hits(self, row: Mapping[str, Any], at: datetime | None = None) -> bool:
        """Whether an application's identifiers are on any list at ``at`` (default now)."""
        hashes = [hashed(k, v, self._key) for k, v in identifiers_of(row).items()]
        with self.engine.connect() as conn:
            return self.hit(conn, hashes, t.to_us(at or datetime.now(UTC)))

    def listed(self, rows: Sequence[Mapping[str, Any]], at: datetime,
               kinds: Iterable[ListKind] = tuple(ListKind)) -> list[bool]:
        """For each row (an application's or an owner's identifiers), whether one of them is on
        one of the ``kinds`` of list at ``at``: one query for the whole batch."""
        wanted = [kind.value for kind in kinds]
        e = t.list_entries.c
        with self.engine.connect() as conn:
            active = set(conn.execute(sa.select(e.identifier_hash).where(
                e.list_kind.in_(wanted), *_active(t.to_us(at)))).scalars())
        if not active:
            return [False] * len(rows)
        return [any(hashed(k, v, self._key) in active for k, v in identifiers_of(row).items()) for row in rows]

    def add_from_exit_rule(self, rule: ExitRule, row: Mapping[str, Any], *, account_id: str,
                           by: str = "post-loan exit rules", at: datetime | None = None,
                           as_of: date | None = None) -> list[ListEntry]:
        """Put the owner of an account that met an exit rule on the bank's own list: each
        identifier ``row`` carries (its owner ID number and phone, in the contract's columns),
        unless it is already there and active. ``as_of``: the date of the batch that found it,
        kept in the entry's reason. Returns the entries added (each change recorded)."""
        now = at or datetime.now(UTC)
        found = identifiers_of(row)
        if IdentifierKind.ID_NUMBER not in found:
            raise ListError("owner_id_number", f"owner_id_number must be given to list an account's owner; "
                                               f"got {row.get('owner_id_number')!r}")
        added = []
        for kind, value in found.items():
            if any(e.active_at(now) for e in self.entries(ListKind.BANK, identifier=(kind, value))):
                continue
            batch = f" in the early-warning batch of {as_of.isoformat()}" if as_of is not None else ""
            added.append(self.add(ListKind.BANK, kind, value, source=f"exit rule: {rule.value}", added_by=by,
                                  reason=f"account {account_id} met the exit rule {rule.value}{batch}", at=now))
        return added


def _active(at_us: int) -> tuple[sa.ColumnElement[bool], ...]:
    e = t.list_entries.c
    return (e.added_us <= at_us, e.expires_us > at_us, sa.or_(e.removed_us.is_(None), e.removed_us > at_us))
