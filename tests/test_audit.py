"""The audit log: durable commits, group commits from many threads, all-or-nothing per caller;
idempotent answers stored with the records; retention."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from riskmodels.audit import (
    AuditError,
    AuditLog,
    AuditRecord,
    AuditRecordNotFound,
    IdempotencyConflict,
    IdempotentAnswer,
    canonical_json,
    input_digest,
)
from riskmodels.contract.privacy import key_id, mask_record, pseudonym

ID, PHONE = "110101199003071234", "13812345678"
KEY = b"test-pseudonym-key-0123456789abcdef"


def _sent(request_id: str) -> dict[str, object]:
    return {"application_id": request_id, "owner_id_number": ID, "owner_phone": PHONE, "owner_age": 41,
            "business_name": "老王家常菜", "inflow_m01": None, "requested_amount": 150000.0}


def _record(request_id: str, created_at: str = "2026-12-01T08:00:00.000000+00:00") -> AuditRecord:
    sent = _sent(request_id)
    return AuditRecord(request_id=request_id, created_at=created_at,
                       endpoint="application", key_id=key_id(KEY), input_hmac=input_digest(sent, KEY),
                       models={"sme-fraud": "3"},
                       score=81.5, risk_class="A", limit_cny=150000.0, rate=4.5, decision="approve",
                       reason_codes=["R_BUREAU_INQ_3M"], input_masked=mask_record(sent))


def test_commits_are_fsynced_before_append_returns(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    try:
        # WAL with FULL: every commit's WAL frames are fsynced (NORMAL would defer that to a
        # checkpoint, losing answered decisions on a power cut).
        assert log._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        log.close()


def test_records_from_many_threads_are_all_kept_exactly(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    ids = [f"req-{i:03d}" for i in range(120)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda i: log.append([_record(i)]), ids))
        assert log.count() == len(ids)
        for request_id in ids[::17]:
            stored = log.get(request_id)
            assert stored == _record(request_id)
            assert ID not in stored.to_json() and PHONE not in stored.to_json()
    finally:
        log.close()
    # What is stored is the canonical JSON of the masked input, read back by another connection.
    raw = sqlite3.connect(tmp_path / "audit.sqlite").execute(
        "SELECT input_masked FROM decisions WHERE request_id = 'req-000'").fetchone()[0]
    assert raw == canonical_json(_record("req-000").input_masked)


def _commit_as_one_group(log: AuditLog, threads: list[threading.Thread]) -> None:
    """Start the callers while the writer lock is held, so every one of them queues up and the
    next commit takes them all as one group; wait for them to finish."""
    with log._lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(log._queue) < len(threads) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(log._queue) == len(threads)
    for thread in threads:
        thread.join(10)


def test_a_group_commit_fails_only_the_caller_whose_records_fail(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    log.append([_record("taken")])
    errors: dict[str, BaseException | None] = {}

    def append(name: str, records: list[AuditRecord]) -> None:
        try:
            log.append(records)
            errors[name] = None
        except sqlite3.IntegrityError as exc:
            errors[name] = exc

    callers = {"a": [_record("a1"), _record("a2")], "dup": [_record("d1"), _record("taken")], "b": [_record("b1")]}
    try:
        _commit_as_one_group(log, [threading.Thread(target=append, args=item) for item in callers.items()])
        assert errors["a"] is None and errors["b"] is None
        assert isinstance(errors["dup"], sqlite3.IntegrityError)
        assert log.count() == 4  # taken, a1, a2, b1: none of the failing caller's records
        with pytest.raises(KeyError):
            log.get("d1")
    finally:
        log.close()


# -- B and C answers: the same records as applications ------------------------------------
def _account_answers() -> tuple[list[dict[str, object]], list[object]]:
    from riskmodels.decision import BehaviorResult, CollectionResult, ModelVersion, ReasonCode

    reason = ReasonCode(code="R_BH_DPD", model="behavior", feature="bh_dpd", value=12.0, contribution=-3.0,
                        unit="points", points_lost=9.0, text_zh="当前处于逾期状态", text_en="Currently past due")
    snapshot = {"account_id": "ACC-1", "snapshot_date": "2025-03-31", "owner_phone": PHONE, "limit_amount": 200000.0}
    case = {"case_id": "CASE-1", "account_id": "ACC-2", "owner_id_number": ID, "balance": 50000.0}
    behavior = BehaviorResult(
        request_id="b-1", account_id="ACC-1", snapshot_date="2025-03-31", score=61.5, pd=0.04,
        pd_12m=0.0784, grade="M11", risk_class="C",
        action="reduce", limit_amount=200000.0, new_limit=150000.0, limit_change_share=-0.25,
        unused_limit_frozen=False, available_limit=20000.0, reasons=[reason],
        models=[ModelVersion(name="sme-behavior-scorecard", version="4")])
    collection = CollectionResult(
        request_id="c-1", case_id="CASE-1", account_id="ACC-2", score=48.0, cure_probability=0.35,
        expected_recovery=17500.0, treatment="phone_call", priority=1, reasons=[],
        models=[ModelVersion(name="sme-collection-scorecard", version="2")])
    return [snapshot, case], [behavior, collection]


def test_account_records_keep_hash_masked_input_and_outcome_of_each_answer() -> None:
    from datetime import UTC, datetime

    from riskmodels.audit import account_records

    rows, answers = _account_answers()
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    behavior, collection = account_records("behavior/batch", rows, answers, at=at, key=KEY)
    assert behavior == AuditRecord(
        request_id="b-1", created_at="2026-12-01T08:00:00.000000+00:00", endpoint="behavior/batch",
        key_id=key_id(KEY), input_hmac=input_digest(rows[0], KEY), models={"sme-behavior-scorecard": "4"}, score=61.5, risk_class="C",
        limit_cny=150000.0, rate=None, decision="reduce", reason_codes=["R_BH_DPD"], input_masked=mask_record(rows[0]))
    assert (collection.request_id, collection.decision, collection.risk_class, collection.limit_cny) == (
        "c-1", "phone_call", None, None)
    assert collection.outcome()["models"] == {"sme-collection-scorecard": "2"} and collection.reason_codes == []
    assert ID not in collection.to_json() and PHONE not in behavior.to_json()
    with pytest.raises(ValueError):  # an answer without its input (or the reverse) is a bug, never skipped
        account_records("behavior", rows[:1], answers, key=KEY)


def test_account_records_are_written_like_application_records(tmp_path: Path) -> None:
    from riskmodels.audit import account_records

    rows, answers = _account_answers()
    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    try:
        records = account_records("collection", rows, answers, key=KEY)
        log.append(records)
        assert [log.get(r.request_id) for r in records] == records
        assert records[0].created_at == records[1].created_at  # one call, one time
    finally:
        log.close()


# -- idempotent answers ---------------------------------------------------------------------
def _answer(client_key: str, request_id: str, endpoint: str = "application") -> IdempotentAnswer:
    return IdempotentAnswer(key=client_key, endpoint=endpoint, input_hmac=input_digest(_sent(request_id), KEY),
                            request_id=request_id, status=200,
                            body=f'{{"request_id":"{request_id}","decision":"approve"}}'.encode())


def test_an_idempotent_answer_is_stored_with_its_records_and_recalled(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    try:
        first = _answer("order-7f3a-client-key", "r1")
        log.append([_record("r1")], idempotency=first)
        assert log.recall("order-7f3a-client-key", "application") == first
        assert log.get("r1") == _record("r1")
        assert log.recall("order-7f3a-client-key", "fraud") is None  # keys are per endpoint
        assert log.recall("another-key", "application") is None
        log.append([_record("f1")], idempotency=_answer("order-7f3a-client-key", "f1", endpoint="fraud"))
        assert log.recall("order-7f3a-client-key", "fraud").request_id == "f1"  # type: ignore[union-attr]
        # The repeat's body is compared with the first's through the log's own key.
        assert log.input_digest(_sent("r1")) == first.input_hmac != log.input_digest(_sent("r2"))
    finally:
        log.close()
    # The client's key is kept only as its HMAC pseudonym.
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite*"))
    assert b"order-7f3a-client-key" not in stored
    assert pseudonym("order-7f3a-client-key", KEY).encode() in stored


def test_a_second_answer_under_the_same_key_conflicts_and_writes_none_of_its_records(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    log.append([_record("first")], idempotency=_answer("k-1", "first"))
    outcomes: dict[str, BaseException | None] = {}

    def append(name: str, records: list[AuditRecord], answer: IdempotentAnswer) -> None:
        try:
            log.append(records, idempotency=answer)
            outcomes[name] = None
        except (IdempotencyConflict, sqlite3.Error) as exc:
            outcomes[name] = exc

    callers = {"repeat": ([_record("again-1"), _record("again-2")], _answer("k-1", "again-1")),
               "new": ([_record("new-1")], _answer("k-2", "new-1")),
               "race": ([_record("race-1")], _answer("k-3", "race-1")),
               "race-loser": ([_record("race-2")], _answer("k-3", "race-2"))}
    try:
        _commit_as_one_group(log, [threading.Thread(target=append, args=(name, *args))
                                   for name, args in callers.items()])
        assert isinstance(outcomes["repeat"], IdempotencyConflict) and outcomes["new"] is None
        # Two requests racing with one key: exactly one answer is stored, the other caller is told.
        assert sorted(type(outcomes[n]).__name__ for n in ("race", "race-loser")) == ["IdempotencyConflict", "NoneType"]
        assert {r for r in ("again-1", "again-2", "race-1", "race-2") if _has(log, r)} == {
            log.recall("k-3", "application").request_id}  # type: ignore[union-attr]
        assert log.recall("k-1", "application").request_id == "first"  # type: ignore[union-attr]
        assert log.count() == 3  # first, new-1 and the race's winner
    finally:
        log.close()


def _has(log: AuditLog, request_id: str) -> bool:
    try:
        log.get(request_id)
    except AuditRecordNotFound:
        return False
    return True


def test_writing_needs_the_key_and_records_of_another_key_are_refused(tmp_path: Path) -> None:
    reader = AuditLog(tmp_path / "audit.sqlite")  # reading needs no key
    try:
        with pytest.raises(AuditError, match="opened without the pseudonym key"):
            reader.append([_record("r1")])
        with pytest.raises(AuditError, match="opened without the pseudonym key"):
            reader.recall("k", "application")
        assert reader.count() == 0
    finally:
        reader.close()
    other = AuditLog(tmp_path / "audit.sqlite", b"another-key-of-the-bank-0123456789")
    try:
        with pytest.raises(AuditError, match=f"got key id {key_id(KEY)} in r1"):
            other.append([_record("r1")])
        assert other.count() == 0
    finally:
        other.close()


# -- retention ------------------------------------------------------------------------------
def test_purge_deletes_records_older_than_the_cutoff_and_leaves_no_trace_of_them(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    times = {"old-2019-purged": "2019-06-30T23:59:59.999999+00:00", "old-2020-purged": "2020-12-31T15:59:59.999999+00:00",
             "at-cutoff-kept": "2020-12-31T16:00:00.000000+00:00", "new-2026-kept": "2026-01-02T08:00:00.000000+00:00"}
    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    try:
        log.append([_record(rid, at) for rid, at in times.items()])
        log.append([], idempotency=_answer("k-now", "new-2026-kept"))
        # The cutoff as a bank in Beijing writes it: midnight of 2021-01-01 at +08:00 is 16:00 UTC.
        cutoff = datetime(2021, 1, 1, tzinfo=timezone(timedelta(hours=8)))
        assert log.count_older(cutoff) == 2 and log.count() == 4  # a dry run deletes nothing
        assert log.purge(cutoff) == 2
        assert [rid for rid in times if _has(log, rid)] == ["at-cutoff-kept", "new-2026-kept"]
        assert log.recall("k-now", "application") is not None  # stored now: within retention
        assert log.purge(datetime.now(UTC) + timedelta(seconds=1)) == 2
        assert log.recall("k-now", "application") is None  # idempotent answers are purged too
        with pytest.raises(ValueError, match="must be timezone-aware"):
            log.purge(datetime(2021, 1, 1))
    finally:
        log.close()
    # secure_delete and the truncated write-ahead log: the purged rows are gone from the files.
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite*"))
    assert b"old-2019-purged" not in stored and b"new-2026-kept" not in stored
    assert b"k-now" not in stored and b"approve" not in stored


# -- what the platform decided on -----------------------------------------------------------
def test_the_linked_values_a_decision_used_are_kept_beside_the_input_as_sent(tmp_path: Path) -> None:
    from dataclasses import replace

    log = AuditLog(tmp_path / "audit.sqlite", KEY)
    try:
        linked = replace(_record("r-linked"), decided_on={"phone_shared_count": 3, "blacklist_hit": False})
        log.append([linked, _record("r-plain")])
        assert log.get("r-linked").decided_on == {"phone_shared_count": 3, "blacklist_hit": False}
        assert log.get("r-plain").decided_on == {}
        # The input as sent is untouched: its hash still matches the body the caller sent.
        assert log.get("r-linked").input_hmac == input_digest(_sent("r-linked"), KEY)
    finally:
        log.close()


def test_a_log_from_before_the_link_store_gains_the_columns_and_keeps_its_records(tmp_path: Path) -> None:
    from dataclasses import replace

    path = tmp_path / "audit.sqlite"
    log = AuditLog(path, KEY)
    log.append([_record("r-old")])
    log.close()
    conn = sqlite3.connect(path)  # as an earlier release wrote it: no decided_on, rules nor fraud reasons
    for column in ("decided_on", "rules", "fraud_reason_codes"):
        conn.execute(f"ALTER TABLE decisions DROP COLUMN {column}")
    conn.commit()
    conn.close()
    reopened = AuditLog(path, KEY)
    try:
        assert reopened.get("r-old") == _record("r-old")
        assert (reopened.get("r-old").rules, reopened.get("r-old").fraud_reason_codes) == (None, None)
        knocked_out = replace(_record("r-new"), decision="reject", rules=["KO_FRAUD", "BAND_A"],
                              fraud_reason_codes=["R_AF_APPS_30D"])
        reopened.append([knocked_out])
        assert reopened.get("r-new") == knocked_out
        assert reopened.get("r-new").decided_on == {}
    finally:
        reopened.close()
