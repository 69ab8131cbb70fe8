"""The scoring service: one BentoML service, its versioned API mounted as a FastAPI app.

Why a mounted FastAPI app rather than ``@bentoml.api`` methods (BentoML 1.4): BentoML's own
API routes are POST-only (``GET /v1/models`` would be impossible), its error wrapper turns every
5xx into a fixed "unexpected error" text (our 503s must say *why*) and its validation errors
carry pydantic's wording, not ours. ``@bentoml.asgi_app`` keeps what BentoML gives (``/livez``,
``/readyz`` with ``__is_ready__``, ``/metrics``, the OpenAPI page, which merges the mounted
app's paths, its worker and logging config). The routes reach the service instance, and so its
state (the models, loaded once at start-up and swapped whole on reload), through a dependency.
"""

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import bentoml
from fastapi import Body, Depends, FastAPI, HTTPException, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from riskmodels.audit import AuditLog, account_records, record_for
from riskmodels.config import Settings, apply_offline_environment
from riskmodels.contract.privacy import PiiLogFilter
from riskmodels.decision import (
    AccountModels,
    BehaviorResult,
    CollectionResult,
    Decision,
    FraudResult,
    ModelBundle,
    ModelVersion,
    decide,
    score_behavior,
    score_collection,
)
from serving import SERVICE_CONFIG, errors, guard
from serving.models import describe_accounts, describe_bundle
from serving.schemas import (
    MAX_BATCH_BODY_BYTES,
    MAX_BODY_BYTES,
    ApplicationRequest,
    BehaviorRequest,
    CollectionRequest,
    ErrorResponse,
    ModelInfo,
    ModelsResponse,
    ReloadResponse,
    batch_of,
    reference_examples,
)

log = logging.getLogger("riskmodels.serving")


def _body_limit(path: str) -> int:
    return MAX_BATCH_BODY_BYTES if path.endswith("/batch") else MAX_BODY_BYTES


# Docs are BentoML's (it merges these routes into its OpenAPI page); the bearer scheme is
# declared for that page only: the key itself is checked by the guard, before any parsing.
v1 = FastAPI(title="riskmodels scoring API", version="1", docs_url=None, redoc_url=None, openapi_url=None,
             dependencies=[Security(HTTPBearer(auto_error=False, description="An API key of RISKMODELS_API_KEYS"))])
errors.install(v1)
v1.add_middleware(guard.BodySizeLimit, limit_for=_body_limit)
v1.add_middleware(guard.ApiKeyGuard, accepted=lambda: bentoml.get_current_service().key_digests)  # outermost

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or invalid API key"},
    413: {"model": ErrorResponse, "description": "Body larger than the limit"},
    422: {"model": ErrorResponse, "description": "A field broke a rule of the contract (all are listed)"},
    503: {"model": ErrorResponse, "description": "Models not loaded, or no API keys configured"},
}
_EXAMPLES = reference_examples()
Application = Annotated[ApplicationRequest, Body(openapi_examples=_EXAMPLES or None)]  # type: ignore[valid-type]


@dataclass(frozen=True)
class Loaded:
    """The models in use: swapped whole, so a request sees one consistent set."""

    bundle: ModelBundle | None
    models: tuple[ModelInfo, ...] = ()
    problem: str | None = None
    loaded_at: datetime | None = None
    accounts: AccountModels = AccountModels()  # B and C cards: optional, each served once it has a champion

    def report(self) -> dict[str, Any]:
        return {"ready": self.bundle is not None, "problem": self.problem,
                "loaded_at": self.loaded_at, "models": list(self.models),
                "not_deployed": dict(self.accounts.problems)}


def load_models(settings: Settings) -> Loaded:
    """The champions, or the reason they cannot be served (the service then stays not ready)."""
    from riskmodels.registry.champions import ChampionsUnavailable, load_account_models, load_champions

    try:
        bundle = load_champions(settings)
    except ChampionsUnavailable as exc:
        log.warning("not ready: %s", exc)
        return Loaded(None, problem=f"champion models unavailable: {exc}")
    accounts = load_account_models(settings)
    models = (*describe_bundle(bundle), *describe_accounts(accounts))
    log.info("loaded %s", ", ".join(f"{m.name} v{m.version}" for m in models))
    return Loaded(bundle, models, None, datetime.now(UTC), accounts)


def _json(answer: BaseModel | Sequence[BaseModel], headers: dict[str, str] | None = None) -> Response:
    if isinstance(answer, BaseModel):
        body = answer.model_dump_json().encode("utf-8")
    else:
        body = b"[" + b",".join(a.model_dump_json().encode("utf-8") for a in answer) + b"]"
    return Response(body, media_type="application/json", headers=headers)


class FraudAnswer(BaseModel):
    """The fraud part of a decision."""

    request_id: str
    fraud: FraudResult
    models: list[ModelVersion]

    @classmethod
    def of(cls, decision: Decision) -> "FraudAnswer":
        return cls(request_id=decision.request_id, fraud=decision.fraud, models=decision.models)


def _mask_logs() -> None:
    # Filters on handlers see every record that reaches them, including propagated ones.
    pii = PiiLogFilter()
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    for handler in {h for lg in loggers for h in lg.handlers}:
        if not any(isinstance(f, PiiLogFilter) for f in handler.filters):
            handler.addFilter(pii)


@bentoml.service(name="riskmodels-scoring", **SERVICE_CONFIG)
@bentoml.asgi_app(v1, path="/v1")
class ScoringService:
    """Credit decisions for small and micro business loans (小微企业贷款): fraud score, credit
    score, risk class, limit, rate and decision with reasons. Every route under ``/v1`` needs
    ``Authorization: Bearer <key>``; ``/livez``, ``/readyz`` and ``/metrics`` are open."""

    def __init__(self) -> None:
        apply_offline_environment()
        _mask_logs()
        self.settings = Settings()
        self.key_digests = guard.key_digests(self.settings.api_keys)
        if not self.key_digests:
            log.warning(guard.NO_KEYS)
        self.audit = AuditLog(self.settings.resolved_audit_db)
        self._reload_lock = threading.Lock()
        self.loaded = load_models(self.settings)

    def __is_ready__(self) -> bool:
        return self.loaded.bundle is not None

    @bentoml.on_shutdown
    def close(self) -> None:
        self.audit.close()

    def _bundle(self) -> ModelBundle:
        bundle = self.loaded.bundle
        if bundle is None:
            raise HTTPException(503, f"not ready: {self.loaded.problem}; nothing was scored")
        return bundle

    def decide_rows(self, endpoint: str, rows: list[dict[str, Any]]) -> list[Decision]:
        bundle = self._bundle()
        decisions = [decide(row, bundle) for row in rows]
        # No answer leaves without its audit record: a failed write fails the request.
        self.audit.append(record_for(d.request_id, endpoint, row, d)
                          for row, d in zip(rows, decisions, strict=True))
        return decisions

    def behavior_answers(self, endpoint: str, rows: list[dict[str, Any]]) -> list[BehaviorResult]:
        self._bundle()  # not ready (no A card or fraud model): nothing is scored, on any route
        results = score_behavior(self.loaded.accounts, rows)  # ModelNotDeployed -> 503 (errors.py)
        self.audit.append(account_records(endpoint, rows, results))
        return results

    def collection_answers(self, endpoint: str, rows: list[dict[str, Any]]) -> list[CollectionResult]:
        self._bundle()
        results = score_collection(self.loaded.accounts, rows)
        self.audit.append(account_records(endpoint, rows, results))
        return results

    def reload(self) -> Response:
        """Load the current champions; on failure keep the models in use and say why (503)."""
        with self._reload_lock:
            try:
                fresh = load_models(self.settings)
            except Exception as exc:  # any failure: keep serving what is loaded, and say why
                log.exception("reload failed")
                fresh = Loaded(None, problem=f"{type(exc).__name__}: {exc}")
            if fresh.bundle is None:
                body = {**self.loaded.report(), "reloaded": False,
                        "problem": f"reload failed, previous models kept: {fresh.problem}"}
                return JSONResponse(ReloadResponse(**body).model_dump(mode="json"), status_code=503)
            self.loaded = fresh
        return JSONResponse(ReloadResponse(**fresh.report(), reloaded=True).model_dump(mode="json"))


async def _service() -> ScoringService:
    # The routes are functions that get the service from this *async* dependency, not methods:
    # BentoML injects a class view's ``self`` with a sync ``Depends``, which FastAPI runs in its
    # thread pool, a thread hop per request that cost more than scoring itself (py-spy).
    return bentoml.get_current_service()  # type: ignore[no-any-return]


Svc = Annotated[ScoringService, Depends(_service)]

# Single rows are ``async``: ~1 ms of CPU runs on the event loop, cheaper than a hop to the
# pool and back. Batches, which take longer, run in the pool (plain ``def``). Answers are
# serialised once by pydantic, not validated again against ``response_model`` (kept for the
# OpenAPI page).


@v1.post("/score/application", response_model=Decision, responses=_ERRORS, summary="Score one application")
async def score_application(svc: Svc, application: Application) -> Response:
    """Fraud score, credit score, PD, risk class, limits, rate, decision, reason codes."""
    decision = svc.decide_rows("application", [application.model_dump(mode="json")])[0]
    return _json(decision, {"X-Request-ID": decision.request_id})


@v1.post("/score/application/batch", response_model=list[Decision], responses=_ERRORS,
         summary="Score up to 500 applications")
def score_application_batch(svc: Svc, applications: batch_of(ApplicationRequest)) -> Response:  # type: ignore[valid-type]
    """All or nothing: one invalid application rejects the batch, naming it by index."""
    return _json(svc.decide_rows("application/batch", [a.model_dump(mode="json") for a in applications]))


@v1.post("/score/fraud", response_model=FraudAnswer, responses=_ERRORS, summary="Fraud score of one application")
async def score_fraud(svc: Svc, application: Application) -> Response:
    """The fraud part of the decision only (the full decision is audited)."""
    decision = svc.decide_rows("fraud", [application.model_dump(mode="json")])[0]
    return _json(FraudAnswer.of(decision), {"X-Request-ID": decision.request_id})


@v1.post("/score/fraud/batch", response_model=list[FraudAnswer], responses=_ERRORS,
         summary="Fraud scores of up to 500 applications")
def score_fraud_batch(svc: Svc, applications: batch_of(ApplicationRequest)) -> Response:  # type: ignore[valid-type]
    decisions = svc.decide_rows("fraud/batch", [a.model_dump(mode="json") for a in applications])
    return _json([FraudAnswer.of(d) for d in decisions])


@v1.post("/score/behavior", response_model=BehaviorResult, responses=_ERRORS,
         summary="Behavioural score of one account-month: action and limit change")
async def score_behavior_one(svc: Svc, account: BehaviorRequest) -> Response:
    """B score, PD, class, action (renew, keep, reduce, freeze), new limit, reasons."""
    return _json(svc.behavior_answers("behavior", [account.model_dump(mode="json")])[0])


@v1.post("/score/behavior/batch", response_model=list[BehaviorResult], responses=_ERRORS,
         summary="Behavioural scores of up to 500 account-months")
def score_behavior_batch(svc: Svc, accounts: batch_of(BehaviorRequest)) -> Response:  # type: ignore[valid-type]
    return _json(svc.behavior_answers("behavior/batch", [a.model_dump(mode="json") for a in accounts]))


@v1.post("/score/collection", response_model=CollectionResult, responses=_ERRORS,
         summary="Collection score of one case: cure probability and treatment")
async def score_collection_one(svc: Svc, case: CollectionRequest) -> Response:
    """C score, cure probability, expected recovery, treatment, reasons."""
    return _json(svc.collection_answers("collection", [case.model_dump(mode="json")])[0])


@v1.post("/score/collection/batch", response_model=list[CollectionResult], responses=_ERRORS,
         summary="Collection scores of up to 500 cases, with their call priority")
def score_collection_batch(svc: Svc, cases: batch_of(CollectionRequest)) -> Response:  # type: ignore[valid-type]
    """Priority orders the cases of the request by expected recovery (1 = call first)."""
    return _json(svc.collection_answers("collection/batch", [c.model_dump(mode="json") for c in cases]))


@v1.get("/models", response_model=ModelsResponse, responses=_ERRORS, summary="The loaded models")
async def models(svc: Svc) -> dict[str, Any]:
    """Name, version, alias, training run and metrics of every model in use."""
    return svc.loaded.report()


@v1.post("/admin/reload", response_model=ReloadResponse, responses=_ERRORS,
         summary="Load the current champions without a restart")
def reload(svc: Svc) -> Response:
    """On failure the models in use stay in use, and the answer (503) says why."""
    return svc.reload()
