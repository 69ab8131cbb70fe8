"""The audit log: every decision the service makes, appended to one SQLite table: application
and fraud decisions (``record_for``) and B and C account answers (``account_records``) alike.

Each row keeps what a reviewer or a regulator asks for: when, which models (name and version),
a keyed hash of the exact input (``input_hmac``: HMAC-SHA256 of its canonical JSON, sorted
keys) with the id of the key (``key_id``), the answer (score, class, limit, rate, decision,
reason codes) and the input itself with personal data masked.

Why a masked input is enough to replay a decision: the models and the policy never read the
owner's ID number or phone (they are keys for the loan system, not features), so every field
a decision depends on is stored as sent. ``replay`` scores that stored input again with the
given models and says whether the answer is the same. The hash is of the unmasked input, so
the loan system can prove which request it sent (``verify_body``, ``riskmodels audit verify``)
without the log keeping the personal data.

Why keyed. A mask hides 8 ID digits (a birth date, narrowed by the stored age) and 4 phone
digits: a plain SHA-256 beside it let anyone holding the database enumerate the hidden digits
and recover both in about a second. The HMAC key (``Settings.resolved_pseudonym_key``; see
``riskmodels.config`` for where it comes from) is never stored here: the database holds only
its id, so a guess cannot be checked without the key, which is 128 to 256 random bits.

Rotating the key (say yearly, or when someone who held it leaves):

1. Make a new key (``python -c 'import secrets; print(secrets.token_hex(32))'``) in the
   bank's secret store; note the old key's id (``riskmodels audit key-id``).
2. Point ``RISKMODELS_PSEUDONYM_KEY`` (or ``_FILE``) at the new key and restart the service.
   New records carry the new key id; old records keep theirs and are never re-hashed.
3. Keep the old key, labelled with its id, in the secret store: an old record is verified with
   ``riskmodels audit verify REQUEST_ID --body FILE --key-file OLD_KEY``.
4. Destroy the old key once ``riskmodels audit purge`` has deleted its last record (after
   ``audit_retention_days``). Idempotency keys sent before the rotation are not recognised
   after it: a repeat across the restart is scored again, so rotate in a quiet hour.

Retention. ``purge`` deletes records (and idempotent answers) older than a date; ``riskmodels
audit purge`` uses ``audit_retention_days`` (default 1825, five years). The database runs with
``secure_delete`` and the purge truncates the write-ahead log, so deleted rows do not linger
in free pages.

Idempotency. ``append(records, idempotency=...)`` stores, in the same transaction, the answer
given to a client's ``Idempotency-Key`` (the key kept as an HMAC pseudonym, the answer's body
holding no personal data); ``recall`` returns it for a repeat. A second answer under the same
key and endpoint raises ``IdempotencyConflict`` and writes none of its records.

Durability. No answer leaves before its record is on disk: ``append`` returns only after a
commit that SQLite has fsynced (WAL with ``synchronous=FULL``). ``synchronous=NORMAL`` would
survive a crash of the process but lose the last commits on a power cut or a kernel crash,
after their answers had been given: that is exactly the decision a regulator asks about, so
the log pays one fsync per commit. To keep that cost down under load, ``append`` commits in
groups: whoever holds the writer lock commits every record queued by other threads meanwhile,
in one transaction and one fsync, each caller's records in its own savepoint (one caller's
failure, a duplicate request id say, fails only that caller).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskmodels.config import Settings, get_settings
from riskmodels.contract.privacy import PII_COLUMNS, key_id, mask_record, pseudonym

if TYPE_CHECKING:
    from riskmodels.decision import BehaviorResult, CollectionResult, Decision, ModelBundle

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
    input_masked TEXT NOT NULL
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
            "limit_cny", "rate", "decision", "reason_codes", "input_masked")
_PLAIN_DIGEST_COLUMN = "input_sha256"  # the schema before keyed hashes


class AuditError(Exception):
    """The audit log cannot do what was asked."""


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


@dataclass(frozen=True)
class AuditRecord:
    """One decision as the audit log keeps it."""

    request_id: str
    created_at: str
    endpoint: str
    key_id: str | None
    input_hmac: str | None
    models: dict[str, str]
    score: float | None
    risk_class: str | None
    limit_cny: float | None
    rate: float | None
    decision: str | None
    reason_codes: list[str] = field(default_factory=list)
    input_masked: dict[str, Any] = field(default_factory=dict)

    def outcome(self) -> dict[str, Any]:
        """The part of the record a replay must reproduce."""
        return {"models": self.models, "score": self.score, "risk_class": self.risk_class,
                "limit_cny": self.limit_cny, "rate": self.rate, "decision": self.decision,
                "reason_codes": self.reason_codes}

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class IdempotentAnswer:
    """The answer given to a request with an ``Idempotency-Key``, returned again for a repeat.

    ``key`` is the client's key as sent (the log stores only its HMAC); ``input_hmac`` is the
    first request's ``input_digest``, to tell a true repeat from a reuse of the key with another
    body; ``body`` is the answer as sent, which must hold no personal data (answers never echo
    the ID number or phone)."""

    key: str
    endpoint: str
    input_hmac: str
    request_id: str
    status: int
    body: bytes


@dataclass(frozen=True)
class BodyCheck:
    """What ``verify_body`` found: whether the identifiers are those the record was made for,
    and which other fields differ from the stored input."""

    identifiers_match: bool
    differing_fields: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return self.identifiers_match and not self.differing_fields


def canonical_json(application: Mapping[str, Any]) -> str:
    """The input as canonical JSON: sorted keys, no spaces, UTF-8 text, NaN refused."""
    return json.dumps(application, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=str)


def input_digest(sent: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex) of the input's canonical JSON: what the audit keeps as ``input_hmac``."""
    return hmac.digest(key, canonical_json(sent).encode("utf-8"), hashlib.sha256).hex()


def outcome_of(decision: Decision) -> dict[str, Any]:
    """What the audit log keeps of a decision (the fields of ``AuditRecord.outcome``)."""
    return {
        "models": {m.name: str(m.version) for m in decision.models},
        "score": decision.credit.score if decision.credit else None,
        "risk_class": decision.credit.risk_class if decision.credit else None,
        "limit_cny": decision.limit.final if decision.limit else None,
        "rate": decision.rate,
        "decision": decision.decision,
        "reason_codes": [r.code for r in decision.reasons],
    }


def account_outcome_of(result: BehaviorResult | CollectionResult) -> dict[str, Any]:
    """What the audit log keeps of a B or C answer (the fields of ``AuditRecord.outcome``): the
    B card's class, new limit and action; the C card's treatment. Neither has a rate."""
    from riskmodels.decision import BehaviorResult  # at call time: reading the log needs no models

    common = {"models": {m.name: m.version for m in result.models}, "score": result.score, "rate": None,
              "reason_codes": [r.code for r in result.reasons]}
    if isinstance(result, BehaviorResult):
        return {**common, "risk_class": result.risk_class, "limit_cny": result.new_limit, "decision": result.action}
    return {**common, "risk_class": None, "limit_cny": None, "decision": result.treatment}


def _timestamp(at: datetime | None) -> str:
    # Always UTC, always microseconds: the text sorts as the time does (``purge`` relies on it).
    if at is not None and at.utcoffset() is None:
        raise ValueError(f"the audit time must be timezone-aware; got {at.isoformat()}")
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def _new_record(request_id: str, created_at: str, endpoint: str, sent: Mapping[str, Any],
                outcome: Mapping[str, Any], key: bytes) -> AuditRecord:
    """One record: ``sent`` is the input as the API received it (JSON values: the hash is of its
    canonical JSON, serialised once, here); the masked copy is serialised once too, when it is
    written (``_row``)."""
    return AuditRecord(request_id=request_id, created_at=created_at, endpoint=endpoint, key_id=key_id(key),
                       input_hmac=input_digest(sent, key), input_masked=mask_record(sent), **outcome)


def record_for(request_id: str, endpoint: str, application: Mapping[str, Any],
               decision: Decision, at: datetime | None = None, *, key: bytes) -> AuditRecord:
    """The audit record of one application decision; ``application`` is the input as the API
    received it, ``key`` the pseudonym key (``AuditLog.key``)."""
    return _new_record(request_id, _timestamp(at), endpoint, application, outcome_of(decision), key)


def account_records(endpoint: str, rows: Sequence[Mapping[str, Any]],
                    results: Sequence[BehaviorResult | CollectionResult],
                    at: datetime | None = None, *, key: bytes) -> list[AuditRecord]:
    """One audit record per B or C answer, as for applications (input hash, masked input, the
    outcome); ``rows`` are the inputs as the API received them, in the order of ``results``.
    The records of one call share its timestamp."""
    when = _timestamp(at)
    return [_new_record(result.request_id, when, endpoint, row, account_outcome_of(result), key)
            for row, result in zip(rows, results, strict=True)]


def verify_body(record: AuditRecord, body: Mapping[str, Any], key: bytes) -> BodyCheck:
    """Whether ``body`` is the request ``record`` was made for.

    The record's stored input holds every field as the service received it, personal ones
    masked: the body's ID number and phone are put in their place and the result's HMAC is
    compared with the record's (so the body may be sent as the loan system wrote it, missing
    nulls or with ``72`` for ``72.0``); its other fields are compared with the stored ones.
    """
    if record.input_hmac is None:
        raise AuditError(f"record {record.request_id} was written before keyed hashes; its plain digest was "
                         "dropped when the log was migrated, so it cannot be verified")
    if record.key_id != key_id(key):
        raise AuditError(f"record {record.request_id} was hashed with the key of id {record.key_id}; the key given "
                         f"has id {key_id(key)}: pass the key of that id (--key-file), see the rotation procedure")
    stored = record.input_masked
    candidate = {**stored, **{name: body.get(name) for name in PII_COLUMNS if name in stored}}
    differing = tuple(sorted(
        name for name in {*stored, *body}
        if name not in PII_COLUMNS and (name not in stored or body.get(name) != stored[name])))
    return BodyCheck(hmac.compare_digest(input_digest(candidate, key), record.input_hmac), differing)


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
        kept = [c for c in _COLUMNS if c not in ("key_id", "input_hmac")]
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
    for name in ("models", "reason_codes", "input_masked"):
        data[name] = canonical_json(data[name])
    return tuple(data[c] for c in _COLUMNS)


def _record(row: Sequence[Any]) -> AuditRecord:
    data = dict(zip(_COLUMNS, row, strict=True))
    for name in ("models", "reason_codes", "input_masked"):
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


def replay(record: AuditRecord, bundle: ModelBundle) -> tuple[Decision, bool]:
    """Score the record's stored input again with ``bundle``; True when the outcome is the same.

    A different model version in ``bundle`` is reported as a difference too: ``same`` means the
    same models gave the same answer.
    """
    from riskmodels.decision import decide

    again = decide(record.input_masked, bundle)
    return again, _comparable(outcome_of(again)) == _comparable(record.outcome())


def _comparable(outcome: Mapping[str, Any]) -> str:
    # Through JSON, as stored, so floats and lists compare the way the log holds them.
    return json.dumps(outcome, sort_keys=True, default=str)
