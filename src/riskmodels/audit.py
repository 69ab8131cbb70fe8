"""The audit log: every decision the service makes, appended to one SQLite table: application
and fraud decisions (``record_for``) and B and C account answers (``account_records``) alike.

Each row keeps what a reviewer or a regulator asks for: when, which models (name and version),
the SHA-256 of the exact input (canonical JSON, sorted keys), the answer (score, class, limit,
rate, decision, reason codes) and the input itself with personal data masked.

Why a masked input is enough to replay a decision: the models and the policy never read the
owner's ID number or phone (they are keys for the loan system, not features), so every field
a decision depends on is stored as sent. ``replay`` scores that stored input again with the
given models and says whether the answer is the same. The hash is of the unmasked input, so
the loan system can prove which request it sent without the log keeping the personal data.

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
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskmodels.config import Settings, get_settings
from riskmodels.contract.privacy import mask_record

if TYPE_CHECKING:
    from riskmodels.decision import BehaviorResult, CollectionResult, Decision, ModelBundle

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    request_id   TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    endpoint     TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    models       TEXT NOT NULL,
    score        REAL,
    risk_class   TEXT,
    limit_cny    REAL,
    rate         REAL,
    decision     TEXT,
    reason_codes TEXT NOT NULL,
    input_masked TEXT NOT NULL
)"""
_COLUMNS = ("request_id", "created_at", "endpoint", "input_sha256", "models", "score", "risk_class",
            "limit_cny", "rate", "decision", "reason_codes", "input_masked")


class AuditRecordNotFound(KeyError):
    """No decision with that request id in the audit log."""


@dataclass(frozen=True)
class AuditRecord:
    """One decision as the audit log keeps it."""

    request_id: str
    created_at: str
    endpoint: str
    input_sha256: str
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


def canonical_json(application: Mapping[str, Any]) -> str:
    """The input as canonical JSON: sorted keys, no spaces, UTF-8 text, NaN refused."""
    return json.dumps(application, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=str)


def input_sha256(application: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(application).encode("utf-8")).hexdigest()


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
    return (at or datetime.now(UTC)).isoformat(timespec="microseconds")


def _new_record(request_id: str, created_at: str, endpoint: str, sent: Mapping[str, Any],
            outcome: Mapping[str, Any]) -> AuditRecord:
    """One record: ``sent`` is the input as the API received it (JSON values: the hash is of its
    canonical JSON, serialised once, here); the masked copy is serialised once too, when it is
    written (``_row``)."""
    return AuditRecord(request_id=request_id, created_at=created_at, endpoint=endpoint,
                       input_sha256=input_sha256(sent), input_masked=mask_record(sent), **outcome)


def record_for(request_id: str, endpoint: str, application: Mapping[str, Any],
               decision: Decision, at: datetime | None = None) -> AuditRecord:
    """The audit record of one application decision; ``application`` is the input as the API
    received it."""
    return _new_record(request_id, _timestamp(at), endpoint, application, outcome_of(decision))


def account_records(endpoint: str, rows: Sequence[Mapping[str, Any]],
                    results: Sequence[BehaviorResult | CollectionResult],
                    at: datetime | None = None) -> list[AuditRecord]:
    """One audit record per B or C answer, as for applications (input hash, masked input, the
    outcome); ``rows`` are the inputs as the API received them, in the order of ``results``.
    The records of one call share its timestamp."""
    when = _timestamp(at)
    return [_new_record(result.request_id, when, endpoint, row, account_outcome_of(result))
            for row, result in zip(rows, results, strict=True)]


class _Pending:
    """One caller's rows waiting for a group commit, and how it ended."""

    __slots__ = ("rows", "done", "error")

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.done = False
        self.error: BaseException | None = None


_INSERT = f"INSERT INTO decisions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


class AuditLog:
    """The SQLite audit table; one connection shared by the service's threads behind a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()  # the connection: one writer (or reader) at a time
        self._queue_lock = threading.Lock()  # the queue of rows waiting for a group commit
        self._queue: list[_Pending] = []
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # WAL: readers (`riskmodels audit show`) never block the service's writes, and a commit
        # is one append and one fsync. FULL: that fsync happens at every commit (see above).
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute(_SCHEMA)

    def append(self, records: Iterable[AuditRecord]) -> None:
        """Write the records in one transaction, all of them or none; return once they are on
        disk. Records other threads append meanwhile share the transaction (a group commit)."""
        mine = _Pending([_row(r) for r in records])
        if not mine.rows:
            return
        with self._queue_lock:
            self._queue.append(mine)
        with self._lock:
            if not mine.done:  # no earlier leader took it: commit everything queued
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit(group)
        if mine.error is not None:
            raise mine.error

    def _commit(self, group: list[_Pending]) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for pending in group:
                conn.execute("SAVEPOINT caller")
                try:
                    conn.executemany(_INSERT, pending.rows)
                except sqlite3.Error as exc:  # this caller's records only: it gets the error
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

    def close(self) -> None:
        with self._lock:
            self._conn.close()


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
