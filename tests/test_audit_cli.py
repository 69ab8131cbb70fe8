"""``riskmodels audit``: verify a request body, purge past retention, migrate a log written with
plain digests, print the key id; one-line errors with exit code 2, a failed check exits 1."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from riskmodels.audit import AuditLog, account_records
from riskmodels.cli import app
from riskmodels.config import get_settings
from riskmodels.contract.privacy import key_id
from tests.test_audit_keys import ID, KEY, _case, _collection_answer, _plain_log

runner = CliRunner()


@pytest.fixture()
def audit_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private audit log and key for the command, through the environment as an operator sets them."""
    db = tmp_path / "audit" / "decisions.sqlite"
    monkeypatch.setenv("RISKMODELS_AUDIT_DB", str(db))
    monkeypatch.setenv("RISKMODELS_PSEUDONYM_KEY", KEY.decode())
    monkeypatch.delenv("RISKMODELS_PSEUDONYM_KEY_FILE", raising=False)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _write(db: Path, key: bytes, cases: dict[str, datetime]) -> None:
    log = AuditLog(db, key)
    try:
        for request_id, at in cases.items():
            answer = _collection_answer().model_copy(update={"request_id": request_id})
            log.append(account_records("collection", [_case(ID)], [answer], at=at, key=key))
    finally:
        log.close()


def _body(tmp_path: Path, **changes: Any) -> str:
    path = tmp_path / "body.json"
    path.write_text(json.dumps({**_case(ID), **changes}), encoding="utf-8")
    return str(path)


def test_verify_says_whether_a_body_is_the_one_decided_on(audit_db: Path, tmp_path: Path) -> None:
    _write(audit_db, KEY, {"c-1": datetime.now(UTC)})
    same = runner.invoke(app, ["audit", "verify", "c-1", "--body", _body(tmp_path)])
    assert same.exit_code == 0 and same.output.startswith("match: c-1"), same.output
    other = runner.invoke(app, ["audit", "verify", "c-1", "--body", _body(tmp_path, owner_id_number="110101199003071235",
                                                                            balance=1.0)])
    assert other.exit_code == 1
    assert other.output.strip() == ("NO match: c-1: the ID number or phone differ from those the decision was made "
                                    "for; fields differ from the stored input: balance")
    unknown = runner.invoke(app, ["audit", "verify", "nope", "--body", _body(tmp_path)])
    assert unknown.exit_code == 2 and "no decision with request id 'nope'" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1


def test_verify_reads_a_rotated_key_from_its_file(audit_db: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old_key = b"the-bank-s-2025-pseudonym-key-0123456789"
    _write(audit_db, old_key, {"c-1": datetime.now(UTC)})
    refused = runner.invoke(app, ["audit", "verify", "c-1", "--body", _body(tmp_path)])
    assert refused.exit_code == 2
    assert f"hashed with the key of id {key_id(old_key)}; the key given has id {key_id(KEY)}" in refused.output
    old_file = tmp_path / "retired" / "2025.key"
    old_file.parent.mkdir()
    old_file.write_bytes(old_key + b"\n")
    old_file.chmod(0o600)
    verified = runner.invoke(app, ["audit", "verify", "c-1", "--body", _body(tmp_path), "--key-file", str(old_file)])
    assert verified.exit_code == 0, verified.output
    # Kept among the keys rotated out, the old key verifies its records without --key-file.
    monkeypatch.setenv("RISKMODELS_PSEUDONYM_KEY_PREVIOUS_FILES", f"{tmp_path / 'missing.key'},{old_file}")
    get_settings.cache_clear()
    missing = runner.invoke(app, ["audit", "verify", "c-1", "--body", _body(tmp_path)])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1, missing.output
    monkeypatch.setenv("RISKMODELS_PSEUDONYM_KEY_PREVIOUS_FILES", str(old_file))
    get_settings.cache_clear()
    previous = runner.invoke(app, ["audit", "verify", "c-1", "--body", _body(tmp_path)])
    assert previous.exit_code == 0 and previous.output.startswith("match: c-1"), previous.output


def test_purge_deletes_what_is_past_retention(audit_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    _write(audit_db, KEY, {"six-years": now - timedelta(days=6 * 365), "five-years-less-a-day": now - timedelta(days=1824),
                           "today": now})
    dry = runner.invoke(app, ["audit", "purge", "--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith("would delete 1 decision records made before"), dry.output
    assert "(retention 1825 days); nothing deleted" in dry.output
    done = runner.invoke(app, ["audit", "purge"])
    assert done.exit_code == 0 and done.output.startswith("deleted 1 decision records"), done.output
    with sqlite3.connect(audit_db) as conn:
        assert {r[0] for r in conn.execute("SELECT request_id FROM decisions")} == {"five-years-less-a-day", "today"}
    monkeypatch.setenv("RISKMODELS_AUDIT_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    assert runner.invoke(app, ["audit", "purge"]).output.startswith("deleted 1 decision records")
    log = AuditLog(audit_db)
    try:
        assert log.count() == 1
    finally:
        log.close()


def test_a_log_with_plain_digests_is_named_by_show_and_fixed_by_migrate(audit_db: Path) -> None:
    audit_db.parent.mkdir(parents=True)
    _plain_log(audit_db)
    shown = runner.invoke(app, ["audit", "show", "c-1"])
    assert shown.exit_code == 2 and "Run `riskmodels audit migrate`" in shown.output
    assert len(shown.output.strip().splitlines()) == 1
    migrated = runner.invoke(app, ["audit", "migrate"])
    assert migrated.exit_code == 0 and migrated.output.startswith("migrated 1 records"), migrated.output
    assert "nothing to migrate" in runner.invoke(app, ["audit", "migrate"]).output


def test_key_id_prints_the_configured_key_s_id_or_why_it_is_refused(audit_db: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    shown = runner.invoke(app, ["audit", "key-id"])
    assert shown.exit_code == 0 and shown.output.strip() == key_id(KEY)
    monkeypatch.setenv("RISKMODELS_PSEUDONYM_KEY", "short")
    get_settings.cache_clear()
    weak = runner.invoke(app, ["audit", "key-id"])
    assert weak.exit_code == 2 and "must be at least 32 bytes of random text" in weak.output


def test_a_collection_answer_is_shown_and_not_replayed_as_an_application(audit_db: Path) -> None:
    # Replayed as an application, it ended in a traceback after its record was printed.
    _write(audit_db, KEY, {"c-1": datetime.now(UTC)})
    shown = runner.invoke(app, ["audit", "show", "c-1"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout[:shown.stdout.rindex("}") + 1])["endpoint"] == "collection"
    assert shown.stdout.strip().endswith("a collection answer: not replayed (replay covers application decisions)")
    replayed = runner.invoke(app, ["audit", "replay", "c-1"])
    assert replayed.exit_code == 2
    assert replayed.stderr.strip() == ("error: record c-1 is a collection answer: replay covers application decisions "
                                       "and due-diligence rescorings only")
