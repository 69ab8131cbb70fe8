"""The pseudonym key: where it comes from, what is refused, and what it buys: a masked record
whose hidden digits can no longer be brute-forced from the audit database, verification of a
request body, rotation, and the migration of a log written with plain SHA-256 digests."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import stat
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from riskmodels.audit import (
    AuditError,
    AuditLog,
    AuditSchemaError,
    account_records,
    canonical_json,
    input_digest,
    key_of,
    migrate_plain_digests,
    verify_body,
)
from riskmodels.config import PseudonymKeyError, Settings, read_pseudonym_key_file
from riskmodels.contract.privacy import key_id, mask_id_number, pseudonym

KEY = b"2f1e6c0b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"
ID = "110101199003071234"


# -- where the key comes from ------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test says where its key comes from, whatever the session's environment sets.
    monkeypatch.delenv("RISKMODELS_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("RISKMODELS_PSEUDONYM_KEY_FILE", raising=False)


def _settings(tmp_path: Path, **fields: Any) -> Settings:
    return Settings(home=tmp_path / "home", **fields)


def _key_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_the_key_comes_from_the_setting_then_its_file(tmp_path: Path) -> None:
    assert _settings(tmp_path, pseudonym_key=KEY.decode()).resolved_pseudonym_key() == KEY
    file = _key_file(tmp_path / "secrets" / "pseudonym.key", KEY.decode() + "\n")
    assert _settings(tmp_path, pseudonym_key_file=file).resolved_pseudonym_key() == KEY
    # The setting wins over the file.
    other = "a-different-key-of-at-least-32-bytes-0123"
    assert _settings(tmp_path, pseudonym_key=other, pseudonym_key_file=file).resolved_pseudonym_key() == other.encode()


@pytest.mark.parametrize(("key", "message"), [
    ("0123456789abcdef", "RISKMODELS_PSEUDONYM_KEY must be at least 32 bytes of random text .*; got 16 bytes"),
    ("ab" * 20, "must be random, with at least 8 distinct characters; got 2 in 40 bytes"),
])
def test_weak_keys_are_refused(tmp_path: Path, key: str, message: str) -> None:
    with pytest.raises(PseudonymKeyError, match=message):
        _settings(tmp_path, pseudonym_key=key).resolved_pseudonym_key()


def test_a_key_file_must_be_private_present_and_apart_from_the_data(tmp_path: Path) -> None:
    shared = _key_file(tmp_path / "secrets" / "shared.key", KEY.decode(), mode=0o644)
    with pytest.raises(PseudonymKeyError, match=r"must be readable by its owner only \(chmod 600\); got mode 0644"):
        _settings(tmp_path, pseudonym_key_file=shared).resolved_pseudonym_key()
    with pytest.raises(PseudonymKeyError, match="must be a readable file; got No such file"):
        _settings(tmp_path, pseudonym_key_file=tmp_path / "nowhere.key").resolved_pseudonym_key()
    settings = _settings(tmp_path)
    for folder in (settings.data_dir, settings.mlruns_dir, settings.resolved_audit_db.parent):
        beside = _key_file(folder / "pseudonym.key", KEY.decode())
        with pytest.raises(PseudonymKeyError, match="must be kept apart from the data it protects"):
            _settings(tmp_path, pseudonym_key_file=beside).resolved_pseudonym_key()


def test_with_no_key_one_is_made_once_in_the_user_config_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    settings = _settings(tmp_path)
    keys: list[bytes] = []
    with caplog.at_level(logging.WARNING, logger="riskmodels.config"):
        # Several threads at once (a server's workers starting): one key, never two.
        threads = [threading.Thread(target=lambda: keys.append(settings.resolved_pseudonym_key())) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    path = tmp_path / "config" / "riskmodels" / "pseudonym.key"
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64  # 32 random bytes, hex
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["pseudonym.key"]  # no temporary left
    made = [r for r in caplog.records if "made one at" in r.getMessage()]
    assert len(made) == 1 and str(path) in made[0].getMessage()
    assert settings.resolved_pseudonym_key() == keys[0] == read_pseudonym_key_file(path)
    assert not path.resolve().is_relative_to(settings.home.resolve())


def test_the_key_id_is_a_short_stable_fingerprint() -> None:
    assert key_id(KEY) == key_id(KEY) and len(key_id(KEY)) == 8
    assert key_id(KEY) != key_id(KEY + b"x")
    assert pseudonym(ID, KEY) == pseudonym(ID, KEY) != pseudonym(ID, KEY + b"x")
    assert len(pseudonym(ID, KEY)) == 64 and ID not in pseudonym(ID, KEY)


# -- brute force -----------------------------------------------------------------------------
def _case(owner_id: str) -> dict[str, Any]:
    return {"case_id": "CASE-1", "account_id": "ACC-2", "owner_id_number": owner_id, "balance": 50000.0}


def _collection_answer() -> Any:
    from riskmodels.decision import CollectionResult, ModelVersion

    return CollectionResult(request_id="c-1", case_id="CASE-1", account_id="ACC-2", score=48.0,
                            cure_probability=0.35, expected_recovery=17500.0, treatment="phone_call", priority=1,
                            reasons=[], models=[ModelVersion(name="sme-collection-scorecard", version="2")])


def _birth_dates() -> list[str]:
    day, last, out = date(1940, 1, 1), date(2009, 12, 31), []
    while day <= last:
        out.append(day.strftime("%Y%m%d"))
        day += timedelta(days=1)
    return out


def test_the_hidden_digits_cannot_be_brute_forced_from_the_audit_database(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    log = AuditLog(db, KEY)
    try:
        log.append(account_records("collection", [_case(ID)], [_collection_answer()], key=KEY))
    finally:
        log.close()
    # What an attacker holding only the database reads: the masked input, its digest, the key id.
    files = b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite*"))
    assert KEY not in files and ID.encode() not in files
    with sqlite3.connect(db) as conn:
        masked_json, digest, stored_key_id = conn.execute(
            "SELECT input_masked, input_hmac, key_id FROM decisions").fetchone()
    masked = json.loads(masked_json)
    head, tail = masked["owner_id_number"][:6], masked["owner_id_number"][-4:]
    assert masked["owner_id_number"] == mask_id_number(ID) == f"{head}********{tail}"
    candidates = [{**masked, "owner_id_number": head + birth + tail} for birth in _birth_dates()]

    def found(hashed: list[str], target: str) -> list[str]:
        return [c["owner_id_number"] for c, h in zip(candidates, hashed) if h == target]

    plain = [hashlib.sha256(canonical_json(c).encode()).hexdigest() for c in candidates]
    # Before: a plain SHA-256 beside the mask gave the ID away in ~25,000 guesses.
    assert found(plain, hashlib.sha256(canonical_json(_case(ID)).encode()).hexdigest()) == [ID]
    # Now: the same guesses, hashed the old way or under a wrong key, never meet the stored digest...
    assert found(plain, digest) == []
    assert found([input_digest(c, b"a-guessed-key-" + stored_key_id.encode() * 4) for c in candidates], digest) == []
    # ...while with the key the enumeration does find it: the test can tell the difference.
    assert found([input_digest(c, KEY) for c in candidates], digest) == [ID]
    assert stored_key_id == key_id(KEY)


# -- verifying a body, rotation --------------------------------------------------------------
def test_a_body_is_verified_against_its_record_even_after_a_key_rotation(tmp_path: Path) -> None:
    old_key, new_key = KEY, b"the-bank-s-new-pseudonym-key-2027-0123456789"
    sent = {**_case(ID), "notes": None, "days_past_due": 45.0}
    (record,) = account_records("collection", [sent], [_collection_answer()], key=old_key)
    assert verify_body(record, sent, old_key).matches
    # As the loan system wrote it: nulls left out, 45 for 45.0.
    written = {k: v for k, v in sent.items() if v is not None} | {"days_past_due": 45}
    assert verify_body(record, written, old_key).matches
    other_id = verify_body(record, {**sent, "owner_id_number": "110101199003071235"}, old_key)
    assert not other_id.identifiers_match and other_id.differing_fields == () and not other_id.matches
    other_balance = verify_body(record, {**sent, "balance": 50001.0, "extra": 1}, old_key)
    assert other_balance.identifiers_match and other_balance.differing_fields == ("balance", "extra")
    # Rotation: new records carry the new key's id; the old record still verifies with the old key.
    with pytest.raises(AuditError, match=f"hashed with the key of id {key_id(old_key)}; the key given has id "
                                         f"{key_id(new_key)}"):
        verify_body(record, sent, new_key)
    log = AuditLog(tmp_path / "audit.sqlite", new_key)
    try:
        with pytest.raises(AuditError, match="must be hashed with this log's key"):
            log.append([record])
    finally:
        log.close()


def test_previous_keys_verify_the_records_of_their_id_only(tmp_path: Path) -> None:
    oldest, old, new = (KEY, b"the-bank-s-2026-pseudonym-key-0123456789abcdef",
                        b"the-bank-s-new-pseudonym-key-2027-0123456789")
    sent = {**_case(ID), "days_past_due": 45.0}
    (before,) = account_records("collection", [sent], [_collection_answer()], key=old)
    (after,) = account_records("collection", [sent], [_collection_answer()], key=new)
    # The key in use verifies new records; an old record is verified by the previous key of its id,
    # whatever the order the previous keys are listed in.
    for previous in ((old,), (oldest, old), (old, oldest)):
        assert key_of(before, new, previous) == old
        assert verify_body(before, sent, new, previous).matches
        assert verify_body(after, sent, new, previous).matches
        assert not verify_body(before, {**sent, "owner_id_number": "110101199003071235"}, new, previous).matches
    with pytest.raises(AuditError, match=f"the keys given have ids {key_id(new)}, {key_id(oldest)}"):
        verify_body(before, sent, new, (oldest,))
    # Read only: a log in use writes with its own key, never a previous one.
    log = AuditLog(tmp_path / "audit.sqlite", new)
    try:
        with pytest.raises(AuditError, match="must be hashed with this log's key"):
            log.append([before])
    finally:
        log.close()


# -- a log written before keyed hashes -------------------------------------------------------
_PLAIN_SCHEMA = """CREATE TABLE decisions (request_id TEXT PRIMARY KEY, created_at TEXT NOT NULL,
    endpoint TEXT NOT NULL, input_sha256 TEXT NOT NULL, models TEXT NOT NULL, score REAL, risk_class TEXT,
    limit_cny REAL, rate REAL, decision TEXT, reason_codes TEXT NOT NULL, input_masked TEXT NOT NULL)"""


def _plain_log(path: Path) -> str:
    digest = hashlib.sha256(canonical_json(_case(ID)).encode()).hexdigest()
    with sqlite3.connect(path) as conn:
        conn.execute(_PLAIN_SCHEMA)
        conn.execute("INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     ("c-1", "2025-03-31T08:00:00.000000+00:00", "collection", digest,
                      '{"sme-collection-scorecard":"2"}', 48.0, None, None, None, "phone_call", "[]",
                      canonical_json({**_case(ID), "owner_id_number": mask_id_number(ID)})))
    return digest


def test_a_log_with_plain_digests_is_refused_until_migrated(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    digest = _plain_log(db)
    with pytest.raises(AuditSchemaError, match="must have keyed input hashes; got the old schema with plain SHA-256 "
                                               r"digests \(input_sha256\).*riskmodels audit migrate"):
        AuditLog(db, KEY)
    assert migrate_plain_digests(db) == 1
    assert migrate_plain_digests(db) == 0  # already migrated
    assert digest.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite*"))
    log = AuditLog(db, KEY)
    try:
        record = log.get("c-1")
        assert (record.key_id, record.input_hmac, record.decision) == (None, None, "phone_call")
        assert record.input_masked["owner_id_number"] == mask_id_number(ID)
        log.append(account_records("collection", [_case(ID)], [_collection_answer().model_copy(
            update={"request_id": "c-2"})], key=KEY))  # new records are keyed
        assert log.get("c-2").key_id == key_id(KEY)
    finally:
        log.close()
    with pytest.raises(AuditError, match="written before keyed hashes"):
        verify_body(record, _case(ID), KEY)
