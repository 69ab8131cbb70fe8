"""The stores a team shares (identity links and lists; facilities, draws and officers'
decisions): one SQLAlchemy engine per URL. SQLite, embedded, is the default; PostgreSQL is used
when a URL names it (``postgresql+psycopg://user@host/db``). Each store creates its own tables.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPICursor

SUPPORTED = ("sqlite", "postgresql")
_BUSY_SECONDS = 30  # how long an SQLite store waits for another writer's lock


class StoreUrlError(ValueError):
    """A store URL this platform cannot open."""


def redacted(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def open_engine(url: str, *, durable: bool = True) -> Engine:
    """An engine for ``url``: SQLite (its folder made, WAL, a 30 s busy wait, foreign keys on)
    or PostgreSQL (connections checked before use).

    ``durable=False`` commits without waiting for the disk (SQLite ``synchronous=NORMAL``,
    PostgreSQL ``synchronous_commit=off``): a crash of the process loses nothing, a power cut or
    a kernel crash may lose the last commits, never the database's consistency. For writes
    whose loss costs little and whose fsync would cost every request."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": _BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas if durable else _sqlite_pragmas_not_durable)
        return engine
    if backend == "postgresql":
        if durable:
            return create_engine(parsed, pool_pre_ping=True)
        return create_engine(parsed, pool_pre_ping=True, connect_args={"options": "-c synchronous_commit=off"})
    raise StoreUrlError(f"a store URL must be sqlite:///PATH or postgresql+psycopg://...; got {redacted(url)}")


def _sqlite_pragmas(conn: Any, _record: Any) -> None:
    # The wait rides out a writer's short lock; WAL lets the service read while a batch writes.
    cursor = conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_SECONDS * 1000}")
    _write_ahead_log(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _write_ahead_log(cursor: Any) -> None:
    """Put the database in WAL mode (it stays so: a later connection finds it set). Switching a
    new database takes an exclusive lock that SQLite does not always wait for: while another
    connection switches it too (workers starting together), it answers "database is locked" at
    once. So that answer is retried, up to the busy timeout."""
    deadline = time.monotonic() + _BUSY_SECONDS
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_pragmas_not_durable(conn: Any, record: Any) -> None:
    _sqlite_pragmas(conn, record)
    cursor = conn.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")  # in WAL: commits reach the disk at checkpoints
    cursor.close()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the write lock from its first statement on SQLite (``BEGIN
    IMMEDIATE``): pysqlite begins lazily and deferred, and two writers that both read first cannot
    both upgrade (one fails at once, busy timeout or not). On PostgreSQL an ordinary transaction:
    its row locks are the caller's. Committed at the end, rolled back on any error."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


@contextmanager
def driver_transaction(engine: Engine, *, write: bool) -> Iterator[DBAPICursor]:
    """``write_transaction`` (or, ``write=False``, a read) on the driver's own cursor, for a
    hot path whose statements are SQL text already (``links.statements.sql``): SQLAlchemy's
    ``Connection`` costs more CPU per statement than SQLite takes to run it. The connection
    comes from the engine's pool, with its set-up (pragmas, pre-ping), and goes back to it."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if write and engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            raw.rollback()
            raise
        raw.commit()
        cursor.close()
    finally:
        raw.close()  # back to the pool, which rolls back anything left open


# Any fixed number: the key of the PostgreSQL advisory lock that ``schema_transaction`` takes.
_SCHEMA_LOCK = 7_310_419


@contextmanager
def schema_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that creates or checks a schema one process at a time: the service's
    workers start together, and two that both find a table missing would both create it (the
    second failing). SQLite's ``BEGIN IMMEDIATE`` serialises them; on PostgreSQL a transaction
    advisory lock does."""
    with write_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
        yield conn
