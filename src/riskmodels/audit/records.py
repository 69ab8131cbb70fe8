"""An audit record: what is kept of one decision (outcome, keyed hash of the input, masked
input), how a body is verified against it, and how it is replayed. The package's docstring
(``riskmodels.audit``) says why each part is kept."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from riskmodels.contract.privacy import PII_COLUMNS, key_id, mask_record

if TYPE_CHECKING:
    from riskmodels.decision import BehaviorResult, CollectionResult, Decision, ModelBundle
    from riskmodels.decision.diligence import DiligenceDecision

# The endpoints whose records are due-diligence rescorings (seed 000 §五, 二次评分): their input
# is the application rescored (masked), its first decision's request id and the findings.
DILIGENCE_ENDPOINTS = ("due-diligence", "due-diligence/batch")
# A fraud verdict's answers: the full decision is audited, but the caller was shown only the
# fraud score, so no facility opens and no officer settles on it.
FRAUD_ENDPOINTS = ("fraud", "fraud/batch")
# The post-loan cards' answers: audited too, but an account-month or a case, not an application.
ACCOUNT_ENDPOINTS = ("behavior", "behavior/batch", "collection", "collection/batch")
MAX_REASON_CODES = 4


class AuditError(Exception):
    """The audit log cannot do what was asked."""


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
    # What the platform put in place of the caller's values before deciding (the link store's
    # counts, its list check): the decision's input is ``input_masked`` updated with these.
    decided_on: dict[str, Any] = field(default_factory=dict)
    # An application decision's policy rules that fired (their ids, in the answer's order) and
    # its fraud model's reason codes: why a knock-out rejected it, which the A card's reason
    # codes do not say. None where there are none to keep (account and due-diligence answers)
    # and in records written before they were kept.
    rules: list[str] | None = None
    fraud_reason_codes: list[str] | None = None

    def outcome(self) -> dict[str, Any]:
        """The part of the record a replay must reproduce."""
        kept = {"models": self.models, "score": self.score, "risk_class": self.risk_class,
                "limit_cny": self.limit_cny, "rate": self.rate, "decision": self.decision,
                "reason_codes": self.reason_codes}
        extra = {"rules": self.rules, "fraud_reason_codes": self.fraud_reason_codes}
        return {**kept, **{name: value for name, value in extra.items() if value is not None}}

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
        "rules": [r.id for r in decision.rules],
        "fraud_reason_codes": [r.code for r in decision.fraud.reasons],
    }


def diligence_outcome_of(decided: DiligenceDecision) -> dict[str, Any]:
    """What the audit log keeps of a due-diligence rescoring: the second score and class, the
    final limit, rate and decision, and a reason code per finding that took points off."""
    return {
        "models": {m.name: str(m.version) for m in decided.models},
        "score": decided.second.score,
        "risk_class": decided.second.risk_class,
        "limit_cny": decided.limit.final,
        "rate": decided.rate,
        "decision": decided.decision,
        "reason_codes": [f"DD_{e.feature.upper()}" for e in decided.second.effects if e.points < 0][:MAX_REASON_CODES],
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


def key_of(record: AuditRecord, key: bytes, previous: Sequence[bytes] = ()) -> bytes:
    """The key ``record`` was hashed with: ``key`` (the one in use) or one of the ``previous``
    keys kept since a rotation, chosen by the record's ``key_id``. Previous keys only ever
    verify: nothing is written or hashed anew with them."""
    for candidate in (key, *previous):
        if key_id(candidate) == record.key_id:
            return candidate
    given = (f"the key given has id {key_id(key)}" if not previous else
             "the keys given have ids " + ", ".join(key_id(k) for k in (key, *previous)))
    raise AuditError(f"record {record.request_id} was hashed with the key of id {record.key_id}; {given}: pass "
                     "the key of that id (--key-file, or among the previous keys), see the rotation procedure")


def verify_body(record: AuditRecord, body: Mapping[str, Any], key: bytes, previous: Sequence[bytes] = ()) -> BodyCheck:
    """Whether ``body`` is the request ``record`` was made for.

    The record's stored input holds every field as the service received it, personal ones
    masked: the body's ID number and phone are put in their place and the result's HMAC is
    compared with the record's (so the body may be sent as the loan system wrote it, missing
    nulls or with ``72`` for ``72.0``); its other fields are compared with the stored ones.
    A record made before a key rotation is verified with the ``previous`` key of its id.
    """
    if record.input_hmac is None:
        raise AuditError(f"record {record.request_id} was written before keyed hashes; its plain digest was "
                         "dropped when the log was migrated, so it cannot be verified")
    key = key_of(record, key, previous)
    stored = record.input_masked
    candidate = {**stored, **{name: body.get(name) for name in PII_COLUMNS if name in stored}}
    differing = tuple(sorted(
        name for name in {*stored, *body}
        if name not in PII_COLUMNS and (name not in stored or body.get(name) != stored[name])))
    return BodyCheck(hmac.compare_digest(input_digest(candidate, key), record.input_hmac), differing)


def replay(record: AuditRecord, bundle: ModelBundle) -> tuple[Decision | DiligenceDecision, bool]:
    """Score the record's stored input again with ``bundle``; True when the outcome is the same.

    An application decision is decided again on its input with the platform's values it was
    decided on (``decided_on``: the link store's counts, the list check); a due-diligence
    rescoring is rescored on its application (with the same values) and findings. A different
    model version in ``bundle`` is reported as a difference too: ``same`` means the same models
    gave the same answer.
    """
    again, outcome = replay_outcome(record, bundle)
    return again, not differing_fields(record, outcome)


def check_replayable(record: AuditRecord) -> None:
    """``AuditError`` for a B or C card's answer, which no replay decides again."""
    if record.endpoint in ACCOUNT_ENDPOINTS:
        raise AuditError(f"record {record.request_id} is a {record.endpoint} answer: replay covers application "
                         "decisions and due-diligence rescorings only")


def replay_outcome(record: AuditRecord, bundle: ModelBundle) -> tuple[Decision | DiligenceDecision, dict[str, Any]]:
    """The answer to the record's stored input with ``bundle``, and its outcome as the log keeps it."""
    check_replayable(record)
    if record.endpoint in DILIGENCE_ENDPOINTS:
        from riskmodels.decision.diligence import rescore

        sent = record.input_masked
        if not all(name in sent for name in ("application", "application_request_id", "findings")):
            raise AuditError(f"record {record.request_id} is a {record.endpoint} answer without its application, "
                             f"first request id and findings; got the fields {sorted(sent)}")
        decided = rescore({**sent["application"], **record.decided_on}, sent["findings"], bundle,
                          str(sent["application_request_id"]), request_id=record.request_id)
        return decided, diligence_outcome_of(decided)
    from riskmodels.decision import decide

    again = decide({**record.input_masked, **record.decided_on}, bundle)
    return again, outcome_of(again)


def differing_fields(record: AuditRecord, outcome: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields of the recorded outcome that ``outcome`` (a replay's) does not reproduce."""
    recorded = record.outcome()
    return tuple(name for name in recorded if _comparable(recorded[name]) != _comparable(outcome.get(name)))


def _comparable(outcome: Any) -> str:
    # Through JSON, as stored, so floats and lists compare the way the log holds them.
    return json.dumps(outcome, sort_keys=True, default=str)
