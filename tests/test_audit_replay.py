"""Replaying the audit log: a due-diligence rescoring (seed 000 §五, the restaurant's visit) is
rescored from its record, with the platform's values it was made on, and a recorded answer the
models do not give again is reported field by field: by the library (small models fitted here)
and by ``riskmodels audit replay`` (the session's trained champions). The records are written by
the service's own record makers (``record_for``, ``serving.routes_diligence.diligence_record``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from riskmodels.audit import AuditLog, AuditRecord, differing_fields, record_for, replay, replay_outcome
from riskmodels.cli import app
from riskmodels.config import Settings, get_settings
from riskmodels.decision import ModelBundle, decide
from riskmodels.decision.diligence import DiligenceDecision, rescore
from riskmodels.links import LINKED_COLUMNS
from riskmodels.synth import reference_bodies
from serving.routes_diligence import ENDPOINT, diligence_record
from tests._small_bundle import small_bundle
from tests.decision.test_diligence import SEED_FINDINGS, SEED_REQUEST

KEY = b"audit-replay-test-key-0123456789abcdef01"
runner = CliRunner()


@pytest.fixture(scope="module")
def bundle() -> ModelBundle:
    """Small models fitted here: the library's replay needs no registry."""
    return small_bundle()


@pytest.fixture(scope="module")
def champions(trained_store: Settings) -> ModelBundle:
    """The session's champions: what ``riskmodels audit replay`` loads."""
    from riskmodels.registry.champions import load_champions

    return load_champions(trained_store)


@pytest.fixture()
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditLog]:
    """A private audit log, also the one ``riskmodels audit`` opens (through the environment)."""
    db = tmp_path / "audit.sqlite"
    monkeypatch.setenv("RISKMODELS_AUDIT_DB", str(db))
    monkeypatch.setenv("RISKMODELS_PSEUDONYM_KEY", KEY.decode())
    monkeypatch.delenv("RISKMODELS_PSEUDONYM_KEY_FILE", raising=False)
    get_settings.cache_clear()
    opened = AuditLog(db, KEY)
    yield opened
    opened.close()
    get_settings.cache_clear()


def _restaurant() -> dict[str, Any]:
    return {**reference_bodies()["laowang"], "requested_amount": SEED_REQUEST}


def _audit(log: AuditLog, bundle: ModelBundle, decided_on: dict[str, Any]) -> tuple[AuditRecord, AuditRecord]:
    """The restaurant's first decision and its due-diligence rescoring, as the service audits
    them (the platform's ``decided_on`` values in both), read back from the log."""
    application = _restaurant()
    first_id, second_id = f"first-{uuid.uuid4().hex}", f"dd-{uuid.uuid4().hex}"
    first = decide({**application, **decided_on}, bundle, request_id=first_id)
    log.append([replace(record_for(first_id, "application", application, first, key=KEY), decided_on=decided_on)])
    sent = {"application_request_id": first_id, "application": application, "findings": SEED_FINDINGS}
    second = rescore({**application, **decided_on}, SEED_FINDINGS, bundle, first_id, request_id=second_id)
    log.append([diligence_record(second_id, ENDPOINT, sent, second, KEY, decided_on)])
    return log.get(first_id), log.get(second_id)


def _as_decided(application: dict[str, Any]) -> dict[str, Any]:
    return {name: application.get(name) for name in LINKED_COLUMNS}


def test_a_rescoring_replays_to_its_recorded_answer(log: AuditLog, bundle: ModelBundle) -> None:
    first, second = _audit(log, bundle, _as_decided(_restaurant()))
    again, same = replay(second, bundle)
    assert same and isinstance(again, DiligenceDecision)
    assert (again.request_id, again.application_request_id) == (second.request_id, first.request_id)
    assert (again.decision, again.limit.final, again.rate) == (second.decision, second.limit_cny, second.rate)
    assert again.second.score == second.score
    assert (again.first, again.first_limit) == (first.decision, first.limit_cny)  # the first decision, as audited
    assert replay(first, bundle)[1]  # the first decision replays as before


def test_a_recorded_answer_the_models_do_not_give_is_named_field_by_field(log: AuditLog, bundle: ModelBundle) -> None:
    _, second = _audit(log, bundle, _as_decided(_restaurant()))
    assert second.limit_cny is not None
    tampered = replace(second, limit_cny=second.limit_cny + 10_000, reason_codes=["DD_MADE_UP"])
    _, outcome = replay_outcome(tampered, bundle)
    assert differing_fields(tampered, outcome) == ("limit_cny", "reason_codes")
    assert not replay(tampered, bundle)[1]


def test_the_rescoring_replays_with_the_platforms_values_it_was_made_on(log: AuditLog, bundle: ModelBundle) -> None:
    listed = {**_as_decided(_restaurant()), "blacklist_hit": True}  # the list check found the owner
    _, second = _audit(log, bundle, listed)
    assert second.decision == "reject" and second.decided_on == listed
    assert replay(second, bundle)[1]
    # Without the values it was made on, the findings would rescore another application.
    _, outcome = replay_outcome(replace(second, decided_on={}), bundle)
    assert "decision" in differing_fields(second, outcome)


def test_a_knock_outs_record_keeps_the_rules_that_fired_and_the_fraud_reasons(log: AuditLog,
                                                                              bundle: ModelBundle) -> None:
    """A knock-out rejects whatever the A card says: its record names the rule, beside the fraud
    model's reasons, and a replay must give them again."""
    listed = {**_as_decided(_restaurant()), "blacklist_hit": True}
    first, _ = _audit(log, bundle, listed)
    decided = decide({**_restaurant(), **listed}, bundle)
    assert first.decision == "reject" and "KO_BLACKLIST" in (first.rules or [])
    assert first.rules == [r.id for r in decided.rules]
    assert first.fraud_reason_codes == [r.code for r in decided.fraud.reasons]
    assert replay(first, bundle)[1]
    _, outcome = replay_outcome(replace(first, rules=["BAND_A"], fraud_reason_codes=[]), bundle)
    assert differing_fields(replace(first, rules=["BAND_A"], fraud_reason_codes=[]), outcome) == (
        "rules", "fraud_reason_codes")
    # A record written before they were kept has neither, and replays on what it has.
    assert replay(replace(first, rules=None, fraud_reason_codes=None), bundle)[1]


def test_the_command_replays_both_kinds_and_exits_1_on_a_mismatch(log: AuditLog, champions: ModelBundle) -> None:
    first, second = _audit(log, champions, _as_decided(_restaurant()))
    same = runner.invoke(app, ["audit", "replay", first.request_id, second.request_id])
    assert same.exit_code == 0, same.output
    assert same.output.splitlines() == [f"{first.request_id} (application): same",
                                        f"{second.request_id} (due-diligence): same"]
    assert second.limit_cny is not None
    forged = replace(second, request_id=f"forged-{uuid.uuid4().hex}", limit_cny=second.limit_cny + 10_000)
    log.append([forged])
    differ = runner.invoke(app, ["audit", "replay", second.request_id, forged.request_id])
    assert differ.exit_code == 1, differ.output
    lines = differ.output.splitlines()
    assert lines[1] == (f"{forged.request_id} (due-diligence): DIFFERENT: limit_cny: recorded "
                        f"{second.limit_cny + 10_000}, replayed {second.limit_cny}")
    assert lines[-1] == "1 of 2 answers differ from the record"
    unknown = runner.invoke(app, ["audit", "replay", "never-audited"])
    assert unknown.exit_code == 2 and "never-audited" in unknown.output
