"""Routes of the loan's later stages (``riskmodels.loans``); included in ``/v1`` by ``serving.api``.

- ``POST /v1/facilities``: open the credit line of an approved decision.
- ``GET /v1/facilities/{facility_id}``: its limit, drawn, frozen and available amounts.
- ``POST /v1/facilities/{facility_id}/freeze`` and ``/unfreeze``: an officer freezes the unused
  limit, or lifts the freeze, with a reason; kept in the store's freeze history, the same path
  as the early-warning batch's freezes. Freezing what is frozen (or lifting what is not)
  answers the facility as it is and writes nothing.
- ``POST /v1/drawdown``: a draw, accepted or refused (a refusal is an answer, not an error),
  with the payment mode; recorded either way, in the same commit as the limit it uses. The same
  ``X-Request-ID``, or the same ``Idempotency-Key``, sent again with the same body gets the first
  answer (``Idempotent-Replayed: true``) and draws nothing; either with another body is a 409
  naming the header. A facility past its expiry date: 409 naming it (its expiry in the rule).
- ``POST /v1/decisions/{request_id}/outcome``: the officer's final decision, once per decision.

Bad input is a 422 naming the field, an unknown id a 404 naming it, a clash with what is
recorded a 409 naming it; nothing is written when any of them is answered.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from pydantic import TypeAdapter

from riskmodels.loans import (
    Conflict,
    DrawResult,
    Expired,
    Facility,
    FreezeEvent,
    InvalidInput,
    LoanError,
    Payee,
    RecordedOutcome,
    UnknownReference,
    decision_record,
    record_officer_decision,
    to_fen,
)
from riskmodels.policy import load_policy
from riskmodels.policy.override_reasons import OverrideCatalogue, load_override_reasons
from riskmodels.policy.schema import Drawdown, Policy
from serving.body import StrictJsonRoute
from serving.context import IDEMPOTENCY_KEY, REQUEST_ID, idempotency_key
from serving.idempotency import REPLAYED
from serving.loan_schemas import DrawRequest, FacilityRequest, FreezeRequest, OutcomeRequest
from serving.problems import ProblemError, request_id_of
from serving.routes import ERRORS, Svc
from serving.schemas import ErrorItem

router = APIRouter(route_class=StrictJsonRoute)
_EVENTS = TypeAdapter(list[FreezeEvent])
_RESPONSES = {**ERRORS, 404: ERRORS[422] | {"description": "An id that names no decision or facility (named)"},
              409: ERRORS[422] | {"description": "Against what is recorded: a second outcome or facility, an "
                                  "X-Request-ID or Idempotency-Key sent before with another body, a facility "
                                  "past its expiry date"}}


@lru_cache(maxsize=4)
def _policy(policy_path: Path | None) -> Policy:
    # The lending policy (drawdown threshold, product terms); read once, without the models.
    return load_policy(policy_path)


def _drawdown_rule(policy_path: Path | None) -> Drawdown:
    return _policy(policy_path).drawdown


@lru_cache(maxsize=1)
def _catalogue() -> OverrideCatalogue:
    return load_override_reasons()


def _item(exc: LoanError) -> ErrorItem:
    item = ErrorItem(field=exc.field, rule=exc.rule)
    if exc.got is not None:
        item.got = exc.got
    return item


def _problem(exc: LoanError) -> ProblemError:
    item = _item(exc)
    if isinstance(exc, UnknownReference):
        return ProblemError(404, f"{exc.field} names nothing here; nothing was written", "unknown-reference", [item])
    if isinstance(exc, Expired):  # its own kind: a client stops retrying and asks for a new line
        return ProblemError(409, f"{exc.field} names a facility past its expiry date; nothing was written",
                            "facility-expired", [item])
    if isinstance(exc, Conflict):
        kind = {REQUEST_ID: "request-id-taken", IDEMPOTENCY_KEY: "idempotency-key-reused"}.get(exc.field, "conflict")
        return ProblemError(409, f"{exc.field} clashes with what is recorded; nothing was written", kind, [item])
    others = [_item(e) for e in (exc.more if isinstance(exc, InvalidInput) else ())]
    return ProblemError(422, "the input breaks the contract; nothing was written", "invalid-input", [item, *others])


def _json(reply: Facility | DrawResult | RecordedOutcome | list[FreezeEvent], status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    text = (_EVENTS.dump_json(reply) if isinstance(reply, list) else reply.model_dump_json().encode("utf-8"))
    return Response(text, status_code=status, media_type="application/json", headers=headers)


@router.post("/facilities", response_model=Facility, status_code=201, responses=_RESPONSES,
             summary="Open the credit line of an approved decision")
def open_facility(svc: Svc, body: FacilityRequest) -> Response:
    """The limit and rate are the officer's when an outcome is recorded, else the system's
    (an automatic approval or offer); a referral needs its outcome first."""
    try:
        record = decision_record(svc.audit, body.decision_request_id, "decision_request_id")
        return _json(svc.loans.open_facility(record, account_id=body.account_id,
                                             products=_policy(svc.settings.policy_path).products), 201)
    except LoanError as exc:
        raise _problem(exc) from exc


@router.get("/facilities/{facility_id}", response_model=Facility, responses=_RESPONSES,
            summary="A facility's limit, drawn, frozen and available amounts")
def facility(svc: Svc, facility_id: str) -> Response:
    try:
        return _json(svc.loans.facility(facility_id=facility_id))
    except LoanError as exc:
        raise _problem(exc) from exc


def _source(request: Request) -> str:
    # The store keeps at most 200 characters of a source; a client's request id may be long.
    return f"officer via API, request {request_id_of(request.scope)}"[:200]


@router.post("/facilities/{facility_id}/freeze", response_model=Facility, responses=_RESPONSES,
             summary="Freeze a facility's unused limit (an officer's post-loan action)")
def freeze(svc: Svc, request: Request, facility_id: str, body: FreezeRequest) -> Response:
    """The whole unused limit, as the early-warning batch freezes it; draws are then refused
    (``frozen``) until the freeze is lifted. Already frozen: the facility as it is, nothing written."""
    try:
        return _json(svc.loans.freeze(facility_id, _source(request),
                                      officer=body.officer, reason=body.reason))
    except LoanError as exc:
        raise _problem(exc) from exc


@router.post("/facilities/{facility_id}/unfreeze", response_model=Facility, responses=_RESPONSES,
             summary="Lift a facility's freeze (the risk mitigated, 风险缓释)")
def unfreeze(svc: Svc, request: Request, facility_id: str, body: FreezeRequest) -> Response:
    """Lifts the batch's freeze as well as an officer's. Nothing frozen: nothing written."""
    try:
        return _json(svc.loans.release(facility_id, _source(request),
                                       officer=body.officer, reason=body.reason))
    except LoanError as exc:
        raise _problem(exc) from exc


@router.get("/facilities/{facility_id}/freezes", response_model=list[FreezeEvent], responses=_RESPONSES,
            summary="A facility's freezes and releases, oldest first: who, when, why")
def freezes(svc: Svc, facility_id: str) -> Response:
    try:
        svc.loans.facility(facility_id=facility_id)  # an unknown id is a 404, not an empty history
        return _json(svc.loans.freezes_of(facility_id))
    except LoanError as exc:
        raise _problem(exc) from exc


@router.post("/drawdown", response_model=DrawResult, responses=_RESPONSES,
             summary="Check and record a draw: accepted or refused, with its payment mode")
def drawdown(svc: Svc, request: Request, body: DrawRequest) -> Response:
    """Accepted when the amount fits in limit - drawn - frozen (net of post-loan freezes). At or
    above the policy's threshold the bank pays the supplier (受托支付, a payee is required);
    below it the customer pays (自主支付). A retry under the same Idempotency-Key (or X-Request-ID)
    and body gets the first answer, with its request id, and draws nothing."""
    rule = _drawdown_rule(svc.settings.policy_path)
    payee = Payee(body.payee.name, body.payee.account) if body.payee is not None else None
    try:
        result, replayed = svc.loans.draw(
            request_id_of(request.scope), to_fen(body.amount, "amount"), rule, facility_id=body.facility_id,
            decision_request_id=body.decision_request_id, payee=payee, sent=body.model_dump(mode="json"),
            idempotency_key=idempotency_key(request.scope))  # the guard refused a malformed key
    except LoanError as exc:
        raise _problem(exc) from exc
    if not replayed:
        return _json(result)
    request.scope["state"]["request_id"] = result.request_id  # RequestContext stamps the first answer's id
    return _json(result, headers={REPLAYED: "true"})


@router.post("/decisions/{request_id}/outcome", response_model=RecordedOutcome, status_code=201,
             responses=_RESPONSES, summary="Record the officer's final decision on an audited decision")
def outcome(svc: Svc, request_id: str, body: OutcomeRequest) -> Response:
    """Approve (with amount and rate) or decline, by an officer, with a reason code of the
    catalogue; once per decision (a second is 409: a correction is a new application)."""
    bundle = svc.bundle()  # the rules that fired are found again by replaying the decision
    try:
        recorded = record_officer_decision(
            svc.loans, svc.audit, bundle, _catalogue(), request_id, body.decision, officer=body.officer,
            reason_code=body.reason_code, amount=body.amount, rate=body.rate)
    except LoanError as exc:
        raise _problem(exc) from exc
    return _json(recorded, 201)
