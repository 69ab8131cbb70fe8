"""The audit log: durable commits, group commits from many threads, all-or-nothing per caller."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from riskmodels.audit import AuditLog, AuditRecord, canonical_json, input_sha256
from riskmodels.contract.privacy import mask_record

ID, PHONE = "110101199003071234", "13812345678"


def _record(request_id: str) -> AuditRecord:
    sent = {"application_id": request_id, "owner_id_number": ID, "owner_phone": PHONE, "owner_age": 41,
            "business_name": "老王家常菜", "inflow_m01": None, "requested_amount": 150000.0}
    return AuditRecord(request_id=request_id, created_at="2026-12-01T08:00:00.000000+00:00",
                       endpoint="application", input_sha256=input_sha256(sent), models={"sme-fraud": "3"},
                       score=81.5, risk_class="A", limit_cny=150000.0, rate=4.5, decision="approve",
                       reason_codes=["R_BUREAU_INQ_3M"], input_masked=mask_record(sent))


def test_commits_are_fsynced_before_append_returns(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    try:
        # WAL with FULL: every commit's WAL frames are fsynced (NORMAL would defer that to a
        # checkpoint, losing answered decisions on a power cut).
        assert log._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        log.close()


def test_records_from_many_threads_are_all_kept_exactly(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
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


def test_a_group_commit_fails_only_the_caller_whose_records_fail(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
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
        with log._lock:  # hold the writer: all three queue up and are committed as one group
            threads = [threading.Thread(target=append, args=item) for item in callers.items()]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 10
            while len(log._queue) < len(threads) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(log._queue) == len(threads)
        for thread in threads:
            thread.join(10)
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
    behavior, collection = account_records("behavior/batch", rows, answers, at=at)
    assert behavior == AuditRecord(
        request_id="b-1", created_at="2026-12-01T08:00:00.000000+00:00", endpoint="behavior/batch",
        input_sha256=input_sha256(rows[0]), models={"sme-behavior-scorecard": "4"}, score=61.5, risk_class="C",
        limit_cny=150000.0, rate=None, decision="reduce", reason_codes=["R_BH_DPD"], input_masked=mask_record(rows[0]))
    assert (collection.request_id, collection.decision, collection.risk_class, collection.limit_cny) == (
        "c-1", "phone_call", None, None)
    assert collection.outcome()["models"] == {"sme-collection-scorecard": "2"} and collection.reason_codes == []
    assert ID not in collection.to_json() and PHONE not in behavior.to_json()
    with pytest.raises(ValueError):  # an answer without its input (or the reverse) is a bug, never skipped
        account_records("behavior", rows[:1], answers)


def test_account_records_are_written_like_application_records(tmp_path: Path) -> None:
    from riskmodels.audit import account_records

    rows, answers = _account_answers()
    log = AuditLog(tmp_path / "audit.sqlite")
    try:
        records = account_records("collection", rows, answers)
        log.append(records)
        assert [log.get(r.request_id) for r in records] == records
        assert records[0].created_at == records[1].created_at  # one call, one time
    finally:
        log.close()
