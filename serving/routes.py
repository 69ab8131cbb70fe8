"""The versioned API (``/v1``): a FastAPI app mounted in the BentoML service.

Why a mounted FastAPI app rather than ``@bentoml.api`` methods (BentoML 1.4): BentoML's own
API routes are POST-only (``GET /v1/models`` would be impossible), its error wrapper turns every
5xx into a fixed "unexpected error" text (our 503s must say *why*) and its validation errors
carry pydantic's wording, not ours.

Layers, outermost first: ``RequestContext`` (request id; a 500 for any bug), ``Deadline`` (a
504 problem before BentoML's own timeout; the work goes on, audited), ``ApiKeyGuard`` (keys,
then the request's own headers), ``BodySizeLimit``, then the routes, whose JSON bodies
are read strictly (``StrictJsonRoute``) and whose errors are problems (``serving.errors``).
The routes reach the service's state through an *async* dependency: BentoML injects a class
view's ``self`` with a sync ``Depends``, which FastAPI runs in its thread pool, a thread hop per
request that cost more than scoring itself (py-spy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, cast

import bentoml
from fastapi import Body, Depends, FastAPI, Request, Response
from pydantic import BaseModel, ValidationError

from riskmodels.audit import AuditRecord
from riskmodels.decision import BehaviorResult, CollectionResult, Decision, FraudResult, ModelVersion
from serving import errors, guard
from serving.body import StrictJsonRoute
from serving.context import RequestContext, row_request_id
from serving.deadline import Deadline
from serving.errors import describe
from serving.idempotency import answer, answer_on_loop, rows_digest
from serving.problems import problem_response, request_id_of
from serving.schemas import (
    MAX_BATCH,
    MAX_BATCH_BODY_BYTES,
    MAX_BODY_BYTES,
    ApplicationRequest,
    BatchAnswer,
    BehaviorRequest,
    CollectionRequest,
    ModelsResponse,
    Problem,
    ReloadProblem,
    ReloadResponse,
    RowErrors,
    Scored,
    reference_examples,
)
from serving.scoring import Rows, Scoring
from serving.state import ReloadError


def _body_limit(path: str) -> int:
    return MAX_BATCH_BODY_BYTES if path.endswith("/batch") else MAX_BODY_BYTES


def _current() -> Scoring:
    return cast(Scoring, bentoml.get_current_service())


# The key is checked by the guard, before any parsing; the bearer scheme is declared in the
# spec only (``serving.docs``), not as a dependency FastAPI would solve on every request.
v1 = FastAPI(title="riskmodels scoring API", docs_url=None, redoc_url=None, openapi_url=None)
v1.router.route_class = StrictJsonRoute
errors.install(v1)
v1.add_middleware(guard.BodySizeLimit, limit_for=_body_limit)
v1.add_middleware(guard.ApiKeyGuard, keys=lambda: _current().keys)
v1.add_middleware(Deadline, seconds=lambda: _current().service_settings.request_deadline)
v1.add_middleware(RequestContext)  # outermost

_PROBLEMS: dict[int, str] = {
    400: "Malformed body (not JSON, a repeated key, text that is not UTF-8) or a bad X-Request-ID or Idempotency-Key",
    401: "Missing or invalid key",
    403: "A key of the other kind (scoring vs admin)",
    409: "X-Request-ID already used, or Idempotency-Key reused with another body",
    413: "Body larger than the limit",
    415: "Body not sent as application/json",
    422: "A field broke a rule of the contract (all are listed)",
    500: "A bug of ours (logged under the request id)",
    503: "Models not loaded, the card not deployed, or no keys configured",
    504: "No answer within the deadline (RISKMODELS_REQUEST_DEADLINE); a decision made later is audited, and a "
         "retry with the same Idempotency-Key gets it",
}
ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": Problem, "description": d} for s, d in _PROBLEMS.items()}
_EXAMPLES = reference_examples()
Application = Annotated[ApplicationRequest, Body(openapi_examples=_EXAMPLES or None)]  # type: ignore[valid-type]
_BATCH_EXAMPLES = {"reference": {"summary": "The three reference customers",
                                 "value": [e["value"] for e in _EXAMPLES.values()]}} if _EXAMPLES else None


def _batch_body(row: type[BaseModel]) -> Any:
    # Any JSON value per row: a row that breaks its model is refused at its index, the others
    # are scored, so the schema promises no more than the service checks as a whole.
    return Annotated[list[Any], Body(min_length=1, max_length=MAX_BATCH, openapi_examples=(
        _BATCH_EXAMPLES if row is ApplicationRequest else None), description=(
        f"1 to {MAX_BATCH} rows, each an object of the {row.__name__} schema; a row that breaks it is "
        "refused at its index, the others are scored"))]


async def _service() -> Scoring:
    return _current()


Svc = Annotated[Scoring, Depends(_service)]
Work = Callable[[Rows], tuple[Sequence[BaseModel], list[AuditRecord]]]


def _json(reply: BaseModel) -> Response:
    return Response(reply.model_dump_json().encode("utf-8"), media_type="application/json")


def _rows(model: type[BaseModel], rows: Sequence[Any]) -> tuple[list[int], list[dict[str, Any]], list[RowErrors]]:
    """The valid rows (their indices and JSON values) and the errors of the others."""
    indices, valid, refused = [], [], []
    for index, row in enumerate(rows):
        try:
            valid.append(model.model_validate(row).model_dump(mode="json"))
        except ValidationError as exc:
            refused.append(RowErrors(index=index, errors=describe(exc.errors(), whole="row")))
            continue
        indices.append(index)
    return indices, valid, refused


async def _one(svc: Scoring, request: Request, endpoint: str, row: dict[str, Any], score: Work) -> Response:
    request_id = request_id_of(request.scope)

    def work() -> tuple[BaseModel, list[AuditRecord]]:
        answers, records = score([(request_id, row)])
        return answers[0], records

    return await answer_on_loop(svc, request.scope, endpoint, lambda: svc.audit.input_digest(row), work)


def _batch(svc: Scoring, request: Request, endpoint: str, model: type[BaseModel], rows: list[Any],
           score: Work) -> Response:
    request_id = request_id_of(request.scope)
    indices, valid, refused = _rows(model, rows)  # read once: the digest and the work share it

    def work() -> tuple[BaseModel, list[AuditRecord]]:
        ids = [row_request_id(request_id, i) for i in indices]
        answers, records = score(list(zip(ids, valid, strict=True))) if valid else ([], [])
        batch: BatchAnswer[Any] = BatchAnswer(
            request_id=request_id, scored=len(answers), refused=len(refused),
            results=[Scored(index=i, answer=a) for i, a in zip(indices, answers, strict=True)], errors=refused)
        return batch, records

    return answer(svc, request.scope, endpoint, lambda: rows_digest(svc, rows, dict(zip(indices, valid, strict=True))),
                  work)


class FraudAnswer(BaseModel):
    """The fraud part of a decision."""

    request_id: str
    fraud: FraudResult
    models: list[ModelVersion]

    @classmethod
    def of(cls, decision: Decision) -> FraudAnswer:
        return cls(request_id=decision.request_id, fraud=decision.fraud, models=decision.models)


def _fraud(svc: Scoring, endpoint: str) -> Work:
    def score(rows: Rows) -> tuple[Sequence[BaseModel], list[AuditRecord]]:
        decisions, records = svc.decide_rows(endpoint, rows)  # the full decision is audited
        return [FraudAnswer.of(d) for d in decisions], records

    return score


# Single rows are ``async``: ~1 ms of CPU runs on the event loop, cheaper than a hop to the
# pool and back; only the audit's fsync goes to a thread (``answer_on_loop``). Batches, which
# take longer, run in the pool (plain ``def``). Answers are serialised once by pydantic, not
# validated again against ``response_model`` (kept for the OpenAPI page). Every answer is
# audited before it leaves (``serving.idempotency``).


@v1.post("/score/application", response_model=Decision, responses=ERRORS, summary="Score one application")
async def score_application(svc: Svc, request: Request, application: Application) -> Response:
    """Fraud score, credit score, PD, risk class, limits, rate, decision, reason codes."""
    return await _one(svc, request, "application", application.model_dump(mode="json"),
                lambda rows: svc.decide_rows("application", rows))


@v1.post("/score/application/batch", response_model=BatchAnswer[Decision], responses=ERRORS,
         summary="Score up to 500 applications, each on its own")
def score_application_batch(svc: Svc, request: Request, rows: _batch_body(ApplicationRequest)) -> Response:  # type: ignore[valid-type]
    """Each valid application is scored and audited; each invalid one is refused at its index."""
    return _batch(svc, request, "application/batch", ApplicationRequest, rows,
                  lambda r: svc.decide_rows("application/batch", r))


@v1.post("/score/fraud", response_model=FraudAnswer, responses=ERRORS, summary="Fraud score of one application")
async def score_fraud(svc: Svc, request: Request, application: Application) -> Response:
    """The fraud part of the decision only (the full decision is audited)."""
    return await _one(svc, request, "fraud", application.model_dump(mode="json"), _fraud(svc, "fraud"))


@v1.post("/score/fraud/batch", response_model=BatchAnswer[FraudAnswer], responses=ERRORS,
         summary="Fraud scores of up to 500 applications, each on its own")
def score_fraud_batch(svc: Svc, request: Request, rows: _batch_body(ApplicationRequest)) -> Response:  # type: ignore[valid-type]
    return _batch(svc, request, "fraud/batch", ApplicationRequest, rows, _fraud(svc, "fraud/batch"))


@v1.post("/score/behavior", response_model=BehaviorResult, responses=ERRORS,
         summary="Behavioural score of one account-month: action and limit change")
async def score_behavior_one(svc: Svc, request: Request, account: BehaviorRequest) -> Response:  # type: ignore[valid-type]
    """B score, PD, class, action (renew, keep, reduce, freeze), new limit, reasons."""
    return await _one(svc, request, "behavior", account.model_dump(mode="json"),
                lambda rows: svc.behavior_answers("behavior", rows))


@v1.post("/score/behavior/batch", response_model=BatchAnswer[BehaviorResult], responses=ERRORS,
         summary="Behavioural scores of up to 500 account-months, each on its own")
def score_behavior_batch(svc: Svc, request: Request, rows: _batch_body(BehaviorRequest)) -> Response:  # type: ignore[valid-type]
    return _batch(svc, request, "behavior/batch", BehaviorRequest, rows,
                  lambda r: svc.behavior_answers("behavior/batch", r))


@v1.post("/score/collection", response_model=CollectionResult, responses=ERRORS,
         summary="Collection score of one case: cure probability and treatment")
async def score_collection_one(svc: Svc, request: Request, case: CollectionRequest) -> Response:  # type: ignore[valid-type]
    """C score, cure probability, expected recovery, treatment, reasons."""
    return await _one(svc, request, "collection", case.model_dump(mode="json"),
                lambda rows: svc.collection_answers("collection", rows))


@v1.post("/score/collection/batch", response_model=BatchAnswer[CollectionResult], responses=ERRORS,
         summary="Collection scores of up to 500 cases, with their call priority")
def score_collection_batch(svc: Svc, request: Request, rows: _batch_body(CollectionRequest)) -> Response:  # type: ignore[valid-type]
    """Priority orders the scored cases of the request by expected recovery (1 = call first)."""
    return _batch(svc, request, "collection/batch", CollectionRequest, rows,
                  lambda r: svc.collection_answers("collection/batch", r))


@v1.get("/models", response_model=ModelsResponse, responses=ERRORS, summary="The loaded models")
async def models(svc: Svc) -> Response:
    """Name, version, alias, training run and metrics of every model in use."""
    return _json(ModelsResponse(**svc.loaded.report()))


@v1.post("/admin/reload", response_model=ReloadResponse,
         responses={**ERRORS, 409: {"model": ReloadProblem, "description": "The new champions fail their sanity "
                                    "check (the reference customers); the previous models stay in use"},
                    503: {"model": ReloadProblem, "description": "A champion cannot be loaded, or a card in use "
                          "would be dropped; the previous models stay in use (or no admin keys)"}},
         summary="Load the current champions without a restart, all or none")
def reload(svc: Svc, request: Request) -> Response:
    """Every card (application, fraud, behavior, collection) is loaded and checked before any is
    swapped in; on any failure the models in use stay in use and the answer says why."""
    try:
        loaded = svc.reload()
    except ReloadError as exc:
        return problem_response(request.scope, exc.status, exc.detail, exc.kind, model=ReloadProblem,
                                reloaded=False, models=list(svc.loaded.models), failures=exc.failures)
    return _json(ReloadResponse(**loaded.report(), reloaded=True))
