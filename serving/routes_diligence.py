"""Routes of the loan's later stages (diligence); included in ``/v1`` by ``serving.api``.

``POST /score/due-diligence`` (and its ``/batch``): the account manager's findings merged with
the online data and scored again (seed 000 §五, 二次评分). The body carries the application
exactly as it was scored, and the request id it was scored under: the application must be the
one the audit log holds under that id (its keyed hash), so the findings cannot be applied to
another application. Unknown id: 404; the id of another kind of answer, or another application:
409, naming the fields that differ; a finding outside its contract: 422, naming the finding and
the rule. Each rescoring is audited as a decision of its own, its input linking the first.

The rescoring merges the findings with the online data the first decision was made on: the
application as sent, with the platform's values in place of the caller's (the link store's
counts and list check, ``decided_on`` of the first record). The rescoring's record keeps those
values too, so ``riskmodels audit replay`` gives the same answer with the same models.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.responses import Response

from riskmodels.audit import (
    AuditError,
    AuditRecord,
    AuditRecordNotFound,
    diligence_outcome_of,
    input_digest,
    verify_body,
)
from riskmodels.contract.privacy import PII_COLUMNS, key_id, mask_record
from riskmodels.decision.diligence import DiligenceDecision, FindingsInvalid, rescore
from serving.body import StrictJsonRoute
from serving.context import row_request_id
from serving.diligence_schemas import APPLICATION_REQUEST_ID_RULE, DiligenceRequest
from serving.idempotency import answer, rows_digest
from serving.problems import ProblemError, masked, request_id_of
from serving.routes import ERRORS, Svc, _rows
from serving.schemas import MAX_BATCH, BatchAnswer, ErrorItem, RowErrors, Scored
from serving.scoring import Scoring

router = APIRouter(route_class=StrictJsonRoute)

ENDPOINT, BATCH_ENDPOINT = "due-diligence", "due-diligence/batch"
APPLICATION_ENDPOINTS = ("application", "application/batch")
SAME_VALUE_RULE = "must equal the value audited under application_request_id (the findings rescore that application only)"
SAME_PERSON_RULE = ("must be the audited application's (compared through the keyed hash of the application audited "
                    "under application_request_id)")
_ERRORS = {**ERRORS,
           404: {**ERRORS[422], "description": "application_request_id names no audited decision"},
           409: {**ERRORS[409], "description": "application_request_id names another kind of answer, or the "
                 "application differs from the one audited under it (each differing field named); or "
                 "X-Request-ID / Idempotency-Key reuse"},
           422: {**ERRORS[422], "description": "A field or a finding broke a rule of the contract (all are listed)"}}


def _refusal(status: int, kind: str, detail: str, errors: list[ErrorItem]) -> ProblemError:
    return ProblemError(status, f"{detail}; nothing was scored", kind, errors)


def _audited(svc: Scoring, sent: dict[str, Any]) -> AuditRecord:
    """The first decision's record; a ``ProblemError`` unless ``sent['application']`` is the
    application audited under ``sent['application_request_id']``."""
    first_id = sent["application_request_id"]
    try:
        record = svc.audit.get(first_id)
    except AuditRecordNotFound as exc:
        raise _refusal(404, "unknown-reference", f"no decision was audited under the request id {first_id!r}",
                       [ErrorItem(field="application_request_id", rule=APPLICATION_REQUEST_ID_RULE, got=first_id)]
                       ) from exc
    if record.endpoint not in APPLICATION_ENDPOINTS:
        raise _refusal(409, "conflict", f"the request id {first_id!r} names a {record.endpoint} answer",
                       [ErrorItem(field="application_request_id", rule=f"{APPLICATION_REQUEST_ID_RULE}; it names "
                                  f"a {record.endpoint} answer", got=first_id)])
    try:
        check = verify_body(record, sent["application"], svc.audit.key)
    except AuditError as exc:  # hashed under a key this service no longer holds
        raise _refusal(409, "conflict", f"the application audited under {first_id!r} cannot be "
                       "verified", [ErrorItem(field="application_request_id", rule=str(exc), got=first_id)]) from exc
    if check.matches:
        return record
    errors = [ErrorItem(field=f"application.{name}", rule=SAME_VALUE_RULE) for name in check.differing_fields]
    if not check.identifiers_match:
        errors += [ErrorItem(field=f"application.{name}", rule=SAME_PERSON_RULE)
                   for name in sorted(PII_COLUMNS) if sent["application"].get(name) is not None]
    raise _refusal(409, "conflict", f"the application is not the one audited under {first_id!r}", errors)


def diligence_record(request_id: str, endpoint: str, sent: dict[str, Any], decided: DiligenceDecision, key: bytes,
            decided_on: dict[str, Any]) -> AuditRecord:
    """The rescoring's own audit record; its input names the application decision it rescored,
    and ``decided_on`` keeps the platform's values it was rescored with (the first decision's)."""
    masked = {"application_request_id": sent["application_request_id"],
              "application": mask_record(sent["application"]), "findings": sent["findings"]}
    return AuditRecord(
        request_id=request_id, created_at=datetime.now(UTC).isoformat(timespec="microseconds"), endpoint=endpoint,
        key_id=key_id(key), input_hmac=input_digest(sent, key), input_masked=masked, decided_on=dict(decided_on),
        **diligence_outcome_of(decided))


def _one_row(svc: Scoring, endpoint: str, request_id: str, sent: dict[str, Any]) -> tuple[DiligenceDecision, AuditRecord]:
    """The rescoring of one valid body, or a ``ProblemError`` saying why not."""
    bundle = svc.bundle()
    first = _audited(svc, sent)
    try:
        decided = rescore({**sent["application"], **first.decided_on}, sent["findings"], bundle,
                          sent["application_request_id"], request_id=request_id)
    except FindingsInvalid as exc:
        raise _refusal(422, "invalid-input", "a finding breaks its contract",
                       [ErrorItem(field=p.field, rule=p.rule, got=p.got) for p in exc.problems]) from exc
    return decided, diligence_record(request_id, endpoint, sent, decided, svc.audit.key, first.decided_on)


@router.post("/score/due-diligence", response_model=DiligenceDecision, responses=_ERRORS,
             summary="Rescore an application with the account manager's due-diligence findings")
def due_diligence(svc: Svc, request: Request, body: DiligenceRequest) -> Response:
    """The second score (二次评分), the final limit and the risk-based rate, with the effect of
    each finding and every rule; audited as a decision of its own."""
    sent = body.model_dump(mode="json")
    request_id = request_id_of(request.scope)

    def work() -> tuple[DiligenceDecision, list[AuditRecord]]:
        decided, record = _one_row(svc, ENDPOINT, request_id, sent)
        return decided, [record]

    return answer(svc, request.scope, ENDPOINT, lambda: svc.audit.input_digest(sent), work)


Rows = Annotated[list[Any], Body(min_length=1, max_length=MAX_BATCH, description=(
    f"1 to {MAX_BATCH} rows, each an object of the DiligenceRequest schema; a row refused (its fields, an unknown "
    "or mismatched application, a finding out of contract) is refused at its index, the others are scored"))]


@router.post("/score/due-diligence/batch", response_model=BatchAnswer[DiligenceDecision], responses=_ERRORS,
             summary="Rescore up to 500 applications with their due-diligence findings, each on its own")
def due_diligence_batch(svc: Svc, request: Request, rows: Rows) -> Response:
    """Each row rescored and audited, or refused at its index with the fields at fault."""
    request_id = request_id_of(request.scope)
    indices, valid, first_refused = _rows(DiligenceRequest, rows)  # read once: the digest and the work share it

    def work() -> tuple[BatchAnswer[DiligenceDecision], list[AuditRecord]]:
        svc.bundle()  # not ready: nothing is scored
        refused = list(first_refused)
        results: list[Scored[DiligenceDecision]] = []
        records: list[AuditRecord] = []
        for index, sent in zip(indices, valid, strict=True):
            try:
                decided, record = _one_row(svc, BATCH_ENDPOINT, row_request_id(request_id, index), sent)
            except ProblemError as exc:
                refused.append(RowErrors(index=index, errors=[masked(e) for e in exc.errors or []]))
                continue
            results.append(Scored(index=index, answer=decided))
            records.append(record)
        refused.sort(key=lambda r: r.index)
        batch = BatchAnswer[DiligenceDecision](request_id=request_id, scored=len(results), refused=len(refused),
                                               results=results, errors=refused)
        return batch, records

    return answer(svc, request.scope, BATCH_ENDPOINT,
                  lambda: rows_digest(svc, rows, dict(zip(indices, valid, strict=True))), work)


__all__: Sequence[str] = ["router"]
