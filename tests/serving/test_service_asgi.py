"""The scoring service in-process: BentoML's own ASGI app of ``ScoringService`` (its start-up
hooks, the mounted ``/v1`` FastAPI app, the key guard and body limit), on the session's trained
MLflow store, driven by httpx without a socket.

Fast enough to go deep where the end-to-end test (``test_e2e_http.py``) samples: every route
under ``/v1`` for the key, every request column of the contract for each rule it carries, both
body limits declared and streamed, both ends of the batch size.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.contract import APPLICATIONS, Column
from serving.schemas import (
    MAX_BATCH,
    MAX_BATCH_BODY_BYTES,
    MAX_BODY_BYTES,
    MAX_STRING,
    ApplicationRequest,
    range_rule,
)

KEYS = ("asgi-key-one", "asgi-key-two")
AUTH = {"Authorization": f"Bearer {KEYS[0]}"}
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
REFERENCES = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(REFERENCE_DIR.glob("*.json"))}
LAOWANG = REFERENCES["laowang"]
FIELDS = [APPLICATIONS.column(name) for name in ApplicationRequest.model_fields]


@dataclass(frozen=True)
class InProcess:
    """The service's ASGI app with its start-up done, and a synchronous way to call it."""

    portal: BlockingPortal
    client: httpx.AsyncClient
    service: Any  # the ScoringService instance BentoML created at start-up

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None,
             content: bytes | None = None) -> httpx.Response:
        # Encoded with the standard library, which writes NaN and Infinity as a careless client
        # would (httpx refuses them).
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if content is None else content
        return self.portal.call(partial(self.client.post, path, content=data, headers={
            "Content-Type": "application/json", **(AUTH if headers is None else headers)}))

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.portal.call(partial(self.client.get, path, headers=AUTH if headers is None else headers))

    def audited(self) -> int:
        return int(self.service.audit.count())


@pytest.fixture(scope="module")
def app(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    import bentoml

    from serving.service import ScoringService

    audit_db = tmp_path_factory.mktemp("asgi") / "audit.sqlite"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RISKMODELS_HOME", str(trained_store.home))
        env.setenv("RISKMODELS_API_KEYS", ",".join(KEYS))
        env.setenv("RISKMODELS_AUDIT_DB", str(audit_db))
        asgi = ScoringService.to_asgi()
        # httpx's ASGITransport does not run the lifespan (BentoML creates the service instance
        # there), so the portal runs it, in one task, around every request of the module.
        with start_blocking_portal() as portal, \
                portal.wrap_async_context_manager(asgi.router.lifespan_context(asgi)):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://testserver")
            try:
                yield InProcess(portal, client, bentoml.get_current_service())
            finally:
                portal.call(client.aclose)


@pytest.fixture(scope="module")
def bundle(trained_store: Settings) -> Any:
    from riskmodels.registry.champions import load_champions

    return load_champions(trained_store)


def without_request_id(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "request_id"}


# -- reference customers, models -----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_customers_get_decide_answer_and_their_audit_record(app: InProcess, bundle: Any,
                                                                       name: str) -> None:
    from riskmodels.audit import input_sha256
    from riskmodels.decision import decide

    sent = ApplicationRequest.model_validate(REFERENCES[name]).model_dump(mode="json")
    expected = decide(sent, bundle).model_dump(mode="json")
    response = app.post("/v1/score/application", REFERENCES[name])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert without_request_id(answer) == without_request_id(expected)
    record = app.service.audit.get(answer["request_id"])
    assert record.input_sha256 == input_sha256(sent) and record.decision == expected["decision"]

    fraud = app.post("/v1/score/fraud/batch", [REFERENCES[name]] * 2)
    assert fraud.status_code == 200, fraud.text
    assert [a["fraud"] for a in fraud.json()] == [expected["fraud"]] * 2


def test_models_lists_what_the_decisions_report(app: InProcess, bundle: Any) -> None:
    from riskmodels import registry

    listing = app.get("/v1/models")
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["ready"] is True and body["problem"] is None and body["loaded_at"]
    served = {m["name"]: m for m in body["models"]}
    decision = app.post("/v1/score/application", LAOWANG).json()
    # Every registered model a decision names is listed, at the same version (the policy's own
    # version is in decisions too, but it is configuration, not a registered model).
    named = {m["name"]: m["version"] for m in decision["models"] if m["name"] in REGISTERED_MODELS.values()}
    assert named and named.items() <= {n: m["version"] for n, m in served.items()}.items()
    for kind in ("application", "fraud"):
        model = served[REGISTERED_MODELS[kind]]
        registered = registry.describe(model["name"], str(model["version"]))
        assert model["kind"] == kind and model["alias"] == "champion"
        assert model["version"] == str(bundle.versions[model["name"]])
        assert model["run_id"] == registered.run_id and model["metrics"] == pytest.approx(registered.metrics)
    assert set(body["not_deployed"]) <= {"behavior", "collection"}


# -- keys ---------------------------------------------------------------------------------
def _v1_routes() -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    from serving.service import v1

    return sorted((method, f"/v1{r.path}") for r in v1.routes if isinstance(r, APIRoute) for method in r.methods)


@pytest.mark.parametrize(("method", "path"), _v1_routes())
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEYS[0]}"},
                                     {"Authorization": f"Bearer {KEYS[0]}x"}, {"Authorization": f"bearer{KEYS[0]}"}])
def test_every_v1_route_refuses_a_missing_or_wrong_key(app: InProcess, method: str, path: str,
                                                        headers: dict[str, str]) -> None:
    before = app.audited()
    response = (app.get(path, headers) if method == "GET" else app.post(path, LAOWANG, headers))
    assert response.status_code == 401
    assert response.json() == {"detail": "missing or invalid API key"}
    assert response.headers["www-authenticate"] == "Bearer"
    assert app.audited() == before


def test_the_key_is_checked_before_the_body_size(app: InProcess) -> None:
    response = app.post("/v1/score/application", headers={}, content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 401


# /metrics is left to the end-to-end test: BentoML's metrics route needs the server's
# prometheus set-up and never completes its answer in-process.
@pytest.mark.parametrize("path", ["/livez", "/readyz"])
def test_health_needs_no_key(app: InProcess, path: str) -> None:
    assert app.get(path, headers={}).status_code == 200, path


# -- each rule of the contract, for every request column ----------------------------------
def _outside(col: Column, value: float) -> float:
    step = -1 if col.minimum is not None and value < col.minimum else 1
    while value in col.special_codes:
        value += step
    return int(value) if col.dtype == "int" else float(value)


def _cases() -> Iterator[Any]:
    for col in FIELDS:
        name = col.name
        if col.required:
            yield pytest.param(name, ..., "is required", id=f"{name}-missing")
        if not col.nullable:
            # A category's rule lists what it may be, which says null is not one of them.
            rule = "must be one of: " + ", ".join(col.categories or ()) if col.dtype == "category" else None
            yield pytest.param(name, None, rule or "must not be null", id=f"{name}-null")
        if col.is_numeric():
            yield pytest.param(name, "7", "must be a number, not str", id=f"{name}-string")
            yield pytest.param(name, True, "must be a number, not bool", id=f"{name}-bool")
            yield pytest.param(name, math.nan, "must be a finite number (NaN and infinity are refused)",
                               id=f"{name}-nan")
            if col.dtype == "int":
                yield pytest.param(name, 1.5, "must be a whole number", id=f"{name}-fraction")
            for end, value in (("below", col.minimum), ("above", col.maximum)):
                if value is not None:
                    bad = _outside(col, value - 1 if end == "below" else value + 1)
                    yield pytest.param(name, bad, range_rule(col), id=f"{name}-{end}")
        elif col.dtype == "bool":
            yield pytest.param(name, "yes", "must be true or false", id=f"{name}-string")
            yield pytest.param(name, 1, "must be true or false", id=f"{name}-number")
        elif col.dtype == "category":
            rule = "must be one of: " + ", ".join(col.categories or ())
            yield pytest.param(name, "unheard-of", rule, id=f"{name}-category")
        elif col.dtype == "date":
            yield pytest.param(name, "2024-02-30", "must be a date written YYYY-MM-DD", id=f"{name}-date")
            yield pytest.param(name, 20240201, "must be a date written YYYY-MM-DD", id=f"{name}-number")
        else:
            yield pytest.param(name, "x" * (MAX_STRING + 1), None, id=f"{name}-long")
            yield pytest.param(name, 12345, "must be a string", id=f"{name}-number")
    yield pytest.param("favourite_colour", "red", "is not a field of the contract", id="unknown-field")


def _rule_of_enum(rule: str) -> str:
    # Pydantic writes the last category of a literal with "or": compare the set of names.
    return ", ".join(sorted(rule.removeprefix("must be one of: ").replace(" or ", ", ").split(", ")))


@pytest.mark.parametrize(("field", "value", "rule"), list(_cases()))
def test_each_rule_of_each_column_is_a_422_naming_the_field(app: InProcess, field: str, value: Any,
                                                            rule: str | None) -> None:
    body = dict(LAOWANG)
    if value is ...:
        del body[field]
    else:
        body[field] = value
    before = app.audited()
    response = app.post("/v1/score/application", body)
    assert response.status_code == 422, response.text
    (item,) = response.json()["detail"]
    assert item["field"] == field
    if rule is None:  # a free string too long, or one with a format it does not match
        assert item["rule"].startswith("must "), item
    elif rule.startswith("must be one of: "):
        assert _rule_of_enum(item["rule"]) == _rule_of_enum(rule)
    else:
        assert item["rule"] == rule
    assert app.audited() == before


def test_every_error_of_a_body_is_listed_and_values_quoted_masked(app: InProcess) -> None:
    body = {**LAOWANG, "owner_age": 15, "industry": "fishing", "owner_id_number": "1101051978051"}
    del body["product"]
    response = app.post("/v1/score/application", body)
    assert response.status_code == 422
    items = {i["field"]: i for i in response.json()["detail"]}
    assert set(items) == {"owner_age", "industry", "owner_id_number", "product"}
    assert items["owner_age"]["got"] == 15 and "got" not in items["product"]
    assert "1101051978051" not in response.text


def test_nullable_sources_may_be_null_or_absent(app: InProcess) -> None:
    optional = [c.name for c in FIELDS if c.nullable]
    assert optional  # the contract has sources a customer may lack
    nulls = app.post("/v1/score/application", {**LAOWANG, **dict.fromkeys(optional)})
    absent = app.post("/v1/score/application", {k: v for k, v in LAOWANG.items() if k not in optional})
    assert nulls.status_code == absent.status_code == 200, (nulls.text, absent.text)
    assert without_request_id(nulls.json()) == without_request_id(absent.json())


@pytest.mark.parametrize(("content", "status"), [
    (b"null", 422), (b"[]", 422), (b'"laowang"', 422), (b"42", 422), (b'{"owner_age": ', 400),
    (b"\xff\xfe", 400), (b"[" * 60_000, 400),
])
def test_a_body_that_is_not_an_application_is_a_4xx(app: InProcess, content: bytes, status: int) -> None:
    from serving.schemas import ErrorResponse

    response = app.post("/v1/score/application", content=content)
    assert response.status_code == status, response.text
    detail = ErrorResponse.model_validate(response.json()).detail
    # FastAPI's own refusal of a body it cannot parse (nested too deep) is a sentence.
    assert isinstance(detail, str) or detail[0].field == "body", detail


def test_a_body_sent_as_another_content_type_is_415(app: InProcess) -> None:
    response = app.post("/v1/score/application", content=json.dumps(LAOWANG).encode(),
                        headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 415 and "Content-Type: application/json" in response.text


# -- body size ----------------------------------------------------------------------------
async def _stream(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 16_384):
        yield data[start:start + 16_384]


@pytest.mark.parametrize(("path", "limit"), [("/v1/score/application", MAX_BODY_BYTES),
                                             ("/v1/score/fraud", MAX_BODY_BYTES),
                                             ("/v1/score/application/batch", MAX_BATCH_BODY_BYTES)])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_body_over_the_route_limit_is_413(app: InProcess, path: str, limit: int, declared: bool) -> None:
    data = b'{"business_name": "' + b"x" * limit + b'"}'
    before = app.audited()
    if declared:
        response = app.post(path, content=data)
    else:  # no Content-Length: the limit holds on the bytes received
        response = app.portal.call(partial(app.client.post, path, content=_stream(data),
                                           headers={**AUTH, "Content-Type": "application/json"}))
        assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": f"body larger than {limit} bytes; send at most {limit}"}
    assert app.audited() == before


# -- batch size ---------------------------------------------------------------------------
def test_a_full_batch_fits_the_body_limit_and_is_scored_whole(app: InProcess) -> None:
    batch = [REFERENCES[n] for n in sorted(REFERENCES)] * (MAX_BATCH // len(REFERENCES))
    batch += [LAOWANG] * (MAX_BATCH - len(batch))
    assert len(json.dumps(batch, ensure_ascii=False).encode()) <= MAX_BATCH_BODY_BYTES
    before = app.audited()
    response = app.post("/v1/score/application/batch", batch)
    assert response.status_code == 200, response.text[:500]
    answers = response.json()
    assert [a["application_id"] for a in answers] == [b["application_id"] for b in batch]
    assert len({a["request_id"] for a in answers}) == MAX_BATCH
    assert app.audited() == before + MAX_BATCH


@pytest.mark.parametrize("path", ["/v1/score/application/batch", "/v1/score/fraud/batch"])
@pytest.mark.parametrize(("body", "field", "rule"), [
    ([LAOWANG] * (MAX_BATCH + 1), "body", f"must have at most {MAX_BATCH} applications per request"),
    ([], "body", "must not be empty"),
    (LAOWANG, "body", "must be a JSON array of applications"),
], ids=["too-many", "empty", "not-a-list"])
def test_batch_size_and_shape_are_checked(app: InProcess, path: str, body: Any, field: str, rule: str) -> None:
    before = app.audited()
    response = app.post(path, body)
    assert response.status_code == 422, response.text[:500]
    assert [(i["field"], i["rule"]) for i in response.json()["detail"]] == [(field, rule)]
    assert app.audited() == before


def test_one_bad_application_rejects_the_batch_naming_each_by_index(app: InProcess) -> None:
    batch = [LAOWANG, {**LAOWANG, "owner_age": 15}, LAOWANG, {**LAOWANG, "requested_amount": math.inf}]
    before = app.audited()
    response = app.post("/v1/score/application/batch", batch)
    assert response.status_code == 422
    assert [i["field"] for i in response.json()["detail"]] == ["[1].owner_age", "[3].requested_amount"]
    assert app.audited() == before


def test_the_request_id_header_matches_the_answer(app: InProcess) -> None:
    response = app.post("/v1/score/fraud", REFERENCES["shendu"])
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == response.json()["request_id"]
    assert app.service.audit.get(response.json()["request_id"]).endpoint == "fraud"


def test_service_state_is_the_trained_store(app: InProcess, trained_store: Settings) -> None:
    assert Path(app.service.settings.home) == Path(trained_store.home)
    assert app.get("/readyz", headers={}).status_code == 200
