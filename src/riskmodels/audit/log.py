"""The audit log's SQLite store: durable group commits, idempotent answers, retention, the
migration from plain digests. The package's docstring (``riskmodels.audit``) says why."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from riskmodels.audit.records import (
    AuditError,
    AuditRecord,
    IdempotentAnswer,
    _timestamp,
    canonical_json,
    input_digest,
)
from riskmodels.config import Settings, get_settings
from riskmodels.contract.privacy import key_id, pseudonym

# key_id and input_hmac are NULL only in records migrated from the plain SHA-256 schema, whose
# digests were dropped (``migrate_plain_digests``).
_SCHEMA = ("""
CREATE TABLE IF NOT EXISTS decisions (
    request_id   TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    endpoint     TEXT NOT NULL,
    key_id       TEXT,
    input_hmac   TEXT,
    models       TEXT NOT NULL,
    score        REAL,
    risk_class   TEXT,
    limit_cny    REAL,
    rate         REAL,
    decision     TEXT,
    reason_codes TEXT NOT NULL,
    input_masked TEXT NOT NULL,
    decided_on   TEXT NOT NULL DEFAULT '{}',
    rules        TEXT,
    fraud_reason_codes TEXT
)""", """
CREATE INDEX IF NOT EXISTS decisions_created_at ON decisions (created_at)""", """
CREATE TABLE IF NOT EXISTS idempotent_answers (
    key_hmac   TEXT NOT NULL,
    endpoint   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    input_hmac TEXT NOT NULL,
    request_id TEXT NOT NULL,
    status     INTEGER NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (key_hmac, endpoint)
)""", """
CREATE INDEX IF NOT EXISTS idempotent_answers_created_at ON idempotent_answers (created_at)""")
_COLUMNS = ("request_id", "created_at", "endpoint", "key_id", "input_hmac", "models", "score", "risk_class",
            "limit_cny", "rate", "decision", "reason_codes", "input_masked", "decided_on", "rules",
            "fraud_reason_codes")
# Columns whose values are JSON text; the last two are NULL where the record has none.
_JSON_COLUMNS = ("models", "reason_codes", "input_masked", "decided_on", "rules", "fraud_reason_codes")
# Columns added since the first schema, each with its definition: a log written before has them
# added in place. decided_on came with the link store (empty: those decisions used the input as
# sent); rules and fraud_reason_codes with the knock-outs' audit (NULL: not kept then).
_ADDED = {"decided_on": "TEXT NOT NULL DEFAULT '{}'", "rules": "TEXT", "fraud_reason_codes": "TEXT"}
_PLAIN_DIGEST_COLUMN = "input_sha256"  # the schema before keyed hashes


class AuditRecordNotFound(KeyError):
    """No decision with that request id in the audit log."""


class AuditSchemaError(AuditError):
    """The database holds an older schema that must be migrated first."""


class IdempotencyConflict(AuditError):
    """An answer is already stored under this idempotency key and endpoint."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(f"an answer is already stored for this Idempotency-Key on {endpoint!r}: "
                         "recall it instead of storing a second one")
        self.endpoint = endpoint


class _Pending:
    """One caller's rows waiting for a group commit, and how it ended."""

    __slots__ = ("rows", "answer", "done", "error")

    def __init__(self, rows: list[tuple[Any, ...]], answer: tuple[Any, ...] | None) -> None:
        self.rows = rows
        self.answer = answer
        self.done = False
        self.error: BaseException | None = None


_INSERT = f"INSERT INTO decisions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_INSERT_ANSWER = ("INSERT INTO idempotent_answers (key_hmac, endpoint, created_at, key_id, input_hmac, request_id, "
                  "status, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


class AuditLog:
    """The SQLite audit table; one connection shared by the service's threads behind a lock.

    ``key`` is the pseudonym key: needed to write (``append``), to hash (``input_digest``) and
    to ``recall``; reading records (``get``, ``count``) and ``purge`` need none.
    """

    def __init__(self, path: Path, key: bytes | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._key = key
        self.key_id = key_id(key) if key is not None else None
        self._lock = threading.Lock()  # the connection: one writer (or reader) at a time
        self._queue_lock = threading.Lock()  # the queue of rows waiting for a group commit
        self._queue: list[_Pending] = []
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            _refuse_plain_digests(self._conn, path)
            # WAL: readers (`riskmodels audit show`) never block the service's writes, and a
            # commit is one append and one fsync. FULL: that fsync happens at every commit (see
            # above). secure_delete: a purged record's bytes are overwritten, not left in free pages.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA secure_delete=ON")
            self._conn.execute("PRAGMA busy_timeout=5000")
            for statement in _SCHEMA:
                self._conn.execute(statement)
            _add_columns(self._conn)
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AuditLog:
        """The log of the settings' audit database, with their pseudonym key."""
        settings = settings or get_settings()
        return cls(settings.resolved_audit_db, settings.resolved_pseudonym_key())

    @property
    def key(self) -> bytes:
        """The pseudonym key, for ``record_for`` and ``account_records``."""
        if self._key is None:
            raise AuditError(f"the audit log {self.path} was opened without the pseudonym key: "
                             "open it with AuditLog.from_settings to write or hash")
        return self._key

    def input_digest(self, sent: Mapping[str, Any]) -> str:
        """``input_digest`` under this log's key: compares a repeat's body with the first's."""
        return input_digest(sent, self.key)

    def append(self, records: Iterable[AuditRecord], *, idempotency: IdempotentAnswer | None = None) -> None:
        """Write the records, and the idempotent answer if given, in one transaction, all of
        them or none; return once they are on disk. Records other threads append meanwhile share
        the transaction (a group commit). Raises ``IdempotencyConflict`` when an answer is
        already stored under the same idempotency key and endpoint."""
        records = list(records)
        if not records and idempotency is None:
            return
        key = self.key  # a log opened without a key writes nothing
        for record in records:
            if record.key_id != self.key_id:  # hashed under another key: it would never verify
                raise AuditError(f"records must be hashed with this log's key (id {self.key_id}); "
                                 f"got key id {record.key_id} in {record.request_id}")
        rows = [_row(r) for r in records]
        answer = self._answer_row(idempotency, key) if idempotency is not None else None
        mine = _Pending(rows, answer)
        with self._queue_lock:
            self._queue.append(mine)
        with self._lock:
            if not mine.done:  # no earlier leader took it: commit everything queued
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit(group)
        if mine.error is not None:
            raise mine.error

    def _answer_row(self, answer: IdempotentAnswer, key: bytes) -> tuple[Any, ...]:
        return (pseudonym(answer.key, key), answer.endpoint, _timestamp(None), self.key_id,
                answer.input_hmac, answer.request_id, answer.status, answer.body)

    def _commit(self, group: list[_Pending]) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for pending in group:
                conn.execute("SAVEPOINT caller")
                try:
                    if pending.answer is not None:
                        try:
                            conn.execute(_INSERT_ANSWER, pending.answer)
                        except sqlite3.IntegrityError as exc:  # the primary key: (key, endpoint)
                            raise IdempotencyConflict(pending.answer[1]) from exc
                    conn.executemany(_INSERT, pending.rows)
                except (sqlite3.Error, IdempotencyConflict) as exc:  # this caller's records only
                    conn.execute("ROLLBACK TO caller")
                    pending.error = exc
                conn.execute("RELEASE caller")
            conn.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nobody's records are written
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for pending in group:
                pending.error = pending.error or exc
            raise
        finally:
            for pending in group:
                pending.done = True

    def recall(self, key: str, endpoint: str) -> IdempotentAnswer | None:
        """The answer stored under the client's idempotency ``key`` for ``endpoint``, if any."""
        with self._lock:
            row = self._conn.execute(
                "SELECT input_hmac, request_id, status, body FROM idempotent_answers "
                "WHERE key_hmac = ? AND endpoint = ?", (pseudonym(key, self.key), endpoint)).fetchone()
        if row is None:
            return None
        return IdempotentAnswer(key=key, endpoint=endpoint, input_hmac=row[0], request_id=row[1],
                                status=int(row[2]), body=bytes(row[3]))

    def get(self, request_id: str) -> AuditRecord:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM decisions WHERE request_id = ?", (request_id,)
            ).fetchone()
        if row is None:
            raise AuditRecordNotFound(f"no decision with request id {request_id!r} in {self.path}")
        return _record(row)

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])

    def count_older(self, older_than: datetime) -> int:
        """How many decision records ``purge(older_than)`` would delete."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM decisions WHERE created_at < ?",
                                          (_timestamp(older_than),)).fetchone()[0])

    def purge(self, older_than: datetime) -> int:
        """Delete the decision records and idempotent answers made before ``older_than`` (a
        timezone-aware time); the number of decision records deleted. The write-ahead log is
        then truncated, so the deleted rows' old pages do not stay in it."""
        cutoff = _timestamp(older_than)
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                deleted = conn.execute("DELETE FROM decisions WHERE created_at < ?", (cutoff,)).rowcount
                conn.execute("DELETE FROM idempotent_answers WHERE created_at < ?", (cutoff,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(deleted)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _add_columns(conn: sqlite3.Connection) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(decisions)")}
    for name, definition in _ADDED.items():
        if name not in columns:
            conn.execute(f"ALTER TABLE decisions ADD COLUMN {name} {definition}")


def _refuse_plain_digests(conn: sqlite3.Connection, path: Path) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(decisions)")}
    if _PLAIN_DIGEST_COLUMN in columns:
        raise AuditSchemaError(
            f"the audit log {path} must have keyed input hashes; got the old schema with plain SHA-256 digests "
            f"({_PLAIN_DIGEST_COLUMN}), which let anyone holding the file recover the masked ID and phone numbers. "
            "Run `riskmodels audit migrate` to drop those digests (the records and their masked inputs are kept)")


def migrate_plain_digests(path: Path) -> int:
    """Bring a log of the old schema to the keyed one: the plain SHA-256 digests are dropped
    (they cannot be turned into HMACs without the unmasked input) and the file is rewritten so
    no copy of them stays in free pages. The number of records migrated; 0 if there was
    nothing to migrate."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if _PLAIN_DIGEST_COLUMN not in {row[1] for row in conn.execute("PRAGMA table_info(decisions)")}:
            return 0
        kept = [c for c in _COLUMNS if c not in ("key_id", "input_hmac", *_ADDED)]  # added ones: their defaults
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("ALTER TABLE decisions RENAME TO decisions_plain")
            for statement in _SCHEMA:
                conn.execute(statement)
            moved = conn.execute(f"INSERT INTO decisions ({', '.join(kept)}) "
                                 f"SELECT {', '.join(kept)} FROM decisions_plain").rowcount
            conn.execute("DROP TABLE decisions_plain")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("VACUUM")  # rewrite the file: the dropped table's pages go with it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(moved)
    finally:
        conn.close()


def _row(record: AuditRecord) -> tuple[Any, ...]:
    # Attributes, not ``asdict``: its deep copy of the masked input cost as much as a decision.
    data = {c: getattr(record, c) for c in _COLUMNS}
    for name in _JSON_COLUMNS:
        if data[name] is not None:
            data[name] = canonical_json(data[name])
    return tuple(data[c] for c in _COLUMNS)


def _record(row: Sequence[Any]) -> AuditRecord:
    data = dict(zip(_COLUMNS, row, strict=True))
    for name in _JSON_COLUMNS:
        if data[name] is not None:
            data[name] = json.loads(data[name])
    return AuditRecord(**data)


def show(request_id: str, settings: Settings | None = None) -> AuditRecord:
    """The audit record of ``request_id`` (raises ``AuditRecordNotFound``)."""
    path = (settings or get_settings()).resolved_audit_db
    if not path.exists():
        raise AuditRecordNotFound(f"no audit log at {path}: nothing has been scored there yet")
    log = AuditLog(path)
    try:
        return log.get(request_id)
    finally:
        log.close()
