"""The stores a team shares (identity links and lists; facilities, draws and officers'
decisions): one SQLAlchemy engine per URL. SQLite, embedded, is the default; PostgreSQL is used
when a URL names it (``postgresql+psycopg://user@host/db``). Each store creates its own tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SUPPORTED = ("sqlite", "postgresql")


class StoreUrlError(ValueError):
    """A store URL this platform cannot open."""


def redacted(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def open_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite (its folder made, WAL, a 30 s busy wait, foreign keys on)
    or PostgreSQL (connections checked before use)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise StoreUrlError(f"a store URL must be sqlite:///PATH or postgresql+psycopg://...; got {redacted(url)}")


def _sqlite_pragmas(conn: Any, _record: Any) -> None:
    # WAL lets the service read while a batch writes; the wait rides out a writer's short lock.
    cursor = conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
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
