"""The link store's per-application statements, built once with bound parameters.

Scoring records and counts every application it decides. Building these statements anew for
each one (five scalar subqueries, then SQLAlchemy's cache key of the whole) cost more CPU than
the decision itself; built once, each call only binds its values. The counts statement has one
variant per pattern of identifiers present (an absent one counts ``NULL``), each made on first
use. A new application costs two statements: the insert (which does nothing for a request id
already recorded) and one select of its counts and list check.

They run on the driver's own cursor, as SQL text compiled once per database (``sql``): through
SQLAlchemy's ``Connection`` the same two statements and their transaction cost more CPU than
SQLite takes to run them (``LinkStore.in_place_rows``: 0.32 against 0.19 ms per application,
in-process), on every decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.sql import ClauseElement

from riskmodels.links import tables as t
from riskmodels.links.counts import VELOCITY_WINDOWS_US
from riskmodels.links.identifiers import IdentifierKind

HASH_COLUMN = {IdentifierKind.PHONE: "phone_hash", IdentifierKind.DEVICE: "device_hash",
               IdentifierKind.ADDRESS: "address_hash"}
_APPS = t.applications
_AT = sa.bindparam("at", type_=sa.BigInteger)

SEEN = sa.select(_APPS.c.applied_us).where(_APPS.c.request_id == sa.bindparam("request_id"))
# A request id recorded before (a retry, or another worker's transaction that won) keeps its
# row: the insert does nothing and returns no row, and ``SEEN`` then reads its first time.
# (RETURNING, not the row count: psycopg's is -1 here.)
_RECORD: dict[str, sa.Insert] = {
    "sqlite": sqlite.insert(_APPS).on_conflict_do_nothing(index_elements=["request_id"]).returning(_APPS.c.request_id),
    "postgresql": postgresql.insert(_APPS).on_conflict_do_nothing(index_elements=["request_id"])
    .returning(_APPS.c.request_id)}


def record(dialect: str) -> sa.Insert:
    """The insert of one application, returning its request id, or nothing when that request id
    is recorded already."""
    return _RECORD[dialect]


_ENTRIES = t.list_entries.c
# One bind per kind of identifier, not an expanding IN (which is compiled again on every call).
LISTED_BINDS = tuple(f"hash_{kind.value}" for kind in IdentifierKind)
_LISTED = sa.exists().where(
    _ENTRIES.identifier_hash.in_([sa.bindparam(name) for name in LISTED_BINDS]),
    _ENTRIES.added_us <= _AT, _ENTRIES.expires_us > _AT,
    sa.or_(_ENTRIES.removed_us.is_(None), _ENTRIES.removed_us > _AT))


def listed_params(hashes: Mapping[IdentifierKind, str], at_us: int) -> dict[str, Any]:
    """The values the list check binds: the hashes present (an absent kind repeats one of them)."""
    present = list(hashes.values())
    return {"at": at_us, **{name: hashes.get(kind, present[0]) for name, kind in zip(LISTED_BINDS, IdentifierKind,
                                                                                     strict=True)}}


# An absent identifier counts NULL, written in the SQL (a literal would be a bind of its own).
_NONE = sa.cast(sa.null(), sa.Integer)


@cache
def counts(kinds: frozenset[IdentifierKind], owner: bool, application: bool) -> sa.Select[Any]:
    """One row: the shared counts of the identifier ``kinds`` present and, with an ``owner``,
    the velocity counts (``links.counts`` defines them), each a scalar subquery served by its
    index, and ``listed``: whether any identifier is on a list in force. Binds: ``at``,
    ``owner``, one per kind present, ``application_id`` (when ``application``),
    ``since_<window>`` per velocity window and ``LISTED_BINDS``."""
    before = _APPS.c.applied_us < _AT
    others = _APPS.c.owner_hash != sa.bindparam("owner") if owner else sa.true()
    columns: dict[str, Any] = {}
    for kind, column in HASH_COLUMN.items():
        columns[kind.value] = _NONE if kind not in kinds else (
            sa.select(sa.func.count(sa.distinct(_APPS.c.owner_hash)))
            .where(_APPS.c[column] == sa.bindparam(kind.value), before, others).scalar_subquery())
    # Velocity counts the owner's other applications: the same application scored again (a new
    # request id, the loan system retrying or re-deciding) is not a new one.
    same = _APPS.c.application_id != sa.bindparam("application_id") if application else sa.true()
    for name in VELOCITY_WINDOWS_US:
        columns[name] = _NONE if not owner else (
            sa.select(sa.func.count(sa.distinct(sa.func.coalesce(_APPS.c.application_id, _APPS.c.request_id))))
            .where(_APPS.c.owner_hash == sa.bindparam("owner"), before, same,
                   _APPS.c.applied_us >= sa.bindparam(f"since_{name}", type_=sa.BigInteger)).scalar_subquery())
    columns["listed"] = _LISTED
    return sa.select(*(c.label(n) for n, c in columns.items()))


def counts_params(hashes: Mapping[IdentifierKind, str], at_us: int, application_id: str | None) -> dict[str, Any]:
    """The values ``counts`` binds for an application with ``hashes`` at ``at_us``."""
    params = listed_params(hashes, at_us)
    params.update({k.value: h for k, h in hashes.items() if k in HASH_COLUMN})
    owner = hashes.get(IdentifierKind.ID_NUMBER)
    if owner is not None:
        params["owner"] = owner
        params.update({f"since_{name}": at_us - window for name, window in VELOCITY_WINDOWS_US.items()})
    if application_id is not None:
        params["application_id"] = application_id
    return params


@cache
def sql(statement: ClauseElement, dialect: Dialect) -> str:
    """``statement`` as SQL text for the driver of ``dialect``, its binds by name (``:name`` for
    SQLite, whose SQLAlchemy default is positional; ``%(name)s`` for psycopg), so that a ``dict``
    of ``*_params`` executes it."""
    if dialect.paramstyle not in ("named", "pyformat") and isinstance(dialect, DefaultDialect):
        dialect = type(dialect)(paramstyle="named")
    return str(statement.compile(dialect=dialect))
