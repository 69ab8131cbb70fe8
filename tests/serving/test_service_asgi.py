"""The scoring service in-process: BentoML's own ASGI app of ``ScoringService`` (its start-up
hooks, the mounted ``/v1`` FastAPI app, the request context, the key guard and body limit), on
the session's trained MLflow store, driven by httpx without a socket.

Fast enough to go deep where the end-to-end tests (``tests/integration/test_http.py``,
``test_api_*.py``) sample: every route under ``/v1`` for each kind of key, every request column
of the contract for each rule it carries, both body limits declared and streamed, both ends of
the batch size, every error status as a problem.
"""

from __future__ import annotations

import json
import math
import re
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
from riskmodels.contract.tables import NOT_BLANK_RULE
from riskmodels.links import LINKED_COLUMNS
from serving.context import REQUEST_ID_RULE
from serving.schemas import (
    MAX_BATCH,
    MAX_BATCH_BODY_BYTES,
    MAX_BODY_BYTES,
    MAX_STRING,
    ApplicationRequest,
    Problem,
    range_rule,
)

KEYS = ("asgi-key-one", "asgi-key-two")
ADMIN_KEY = "asgi-admin-key"
AUTH = {"Authorization": f"Bearer {KEYS[0]}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
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

    def post(self, path: str, body: Any = None, headers: dict[str, str | bytes] | None = None,
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
        env.setenv("RISKMODELS_ADMIN_KEYS", ADMIN_KEY)
        env.setenv("RISKMODELS_AUDIT_DB", str(audit_db))
        env.setenv("RISKMODELS_LINK_STORE_URL", f"sqlite:///{audit_db.parent / 'links.sqlite'}")
        env.setenv("RISKMODELS_LOAN_STORE_URL", f"sqlite:///{audit_db.parent / 'loans.sqlite'}")
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


def problem(response: httpx.Response, status: int) -> Problem:
    """The response's problem details, checked for the shape every error of /v1 shares."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body = Problem.model_validate(response.json())
    assert body.status == status and body.instance == response.request.url.path
    assert body.request_id == response.headers["X-Request-ID"]
    assert body.type == "about:blank" or body.type.startswith("urn:riskmodels:problem:")
    return body


def fields(response: httpx.Response, status: int) -> list[tuple[str, str]]:
    """(field, rule) of each error item of a problem."""
    return [(i.field, i.rule) for i in problem(response, status).errors or []]


# -- reference customers, models -----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_customers_get_decide_answer_and_their_audit_record(app: InProcess, bundle: Any,
                                                                       name: str) -> None:
    from riskmodels.decision import decide

    sent = ApplicationRequest.model_validate(REFERENCES[name]).model_dump(mode="json")
    expected = decide(sent, bundle).model_dump(mode="json")
    response = app.post("/v1/score/application", REFERENCES[name])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert without_request_id(answer) == without_request_id(expected)
    record = app.service.audit.get(answer["request_id"])
    assert record.input_hmac == app.service.audit.input_digest(sent) and record.decision == expected["decision"]

    fraud = app.post("/v1/score/fraud/batch", [REFERENCES[name]] * 2)
    assert fraud.status_code == 200, fraud.text
    assert [r["answer"]["fraud"] for r in fraud.json()["results"]] == [expected["fraud"]] * 2


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

    from serving.api import v1

    return sorted((method, f"/v1{r.path}") for r in v1.routes
                  if isinstance(r, APIRoute) and r.include_in_schema for method in r.methods)


@pytest.mark.parametrize(("method", "path"), _v1_routes())
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEYS[0]}"},
                                     {"Authorization": f"Bearer {KEYS[0]}x"}, {"Authorization": f"bearer{KEYS[0]}"}])
def test_every_v1_route_refuses_a_missing_or_wrong_key(app: InProcess, method: str, path: str,
                                                        headers: dict[str, str]) -> None:
    before = app.audited()
    response = (app.get(path, headers) if method == "GET" else app.post(path, LAOWANG, headers))
    body = problem(response, 401)
    assert (body.title, body.detail, body.errors) == ("Unauthorized", "missing or invalid API key", None)
    assert response.headers["www-authenticate"] == "Bearer"
    assert app.audited() == before


@pytest.mark.parametrize(("method", "path"), _v1_routes())
def test_scoring_and_admin_keys_each_open_their_own_routes_only(app: InProcess, method: str, path: str) -> None:
    # The loan system's scoring key never reloads models; the model-risk team's admin key never
    # scores a customer; either may list the models in use.
    admin_route = path.startswith("/v1/admin/")
    for headers, allowed in ((AUTH, not admin_route), (ADMIN, admin_route)):
        if allowed or path == "/v1/models":
            continue  # what the allowed calls answer is tested elsewhere (a reload takes seconds)
        before = app.audited()
        response = app.get(path, headers) if method == "GET" else app.post(path, LAOWANG, headers)
        body = problem(response, 403)
        assert body.type == "urn:riskmodels:problem:wrong-key-kind"
        assert ("admin key" in body.detail) and ("RISKMODELS_ADMIN_KEYS" in body.detail or admin_route is False)
        assert app.audited() == before
    for headers in (AUTH, ADMIN):
        assert app.get("/v1/models", headers).status_code == 200


def test_the_key_is_checked_before_the_body_size(app: InProcess) -> None:
    response = app.post("/v1/score/application", headers={}, content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 401


# /metrics is left to the end-to-end test: BentoML's metrics route needs the server's
# prometheus set-up and never completes its answer in-process.
@pytest.mark.parametrize("path", ["/livez", "/readyz"])
def test_health_needs_no_key(app: InProcess, path: str) -> None:
    assert app.get(path, headers={}).status_code == 200, path


def test_a_key_in_both_lists_is_neither() -> None:
    from serving.guard import KeyRing, is_valid

    ring = KeyRing.of(["loan-system", "shared"], ["risk-team", "shared"])
    assert is_valid("loan-system", ring.scoring) and is_valid("risk-team", ring.admin)
    assert not is_valid("shared", ring.scoring) and not is_valid("shared", ring.admin)


# -- each rule of the contract, for every request column ----------------------------------
def _outside(col: Column, value: float) -> float:
    step = -1 if col.minimum is not None and value < col.minimum else 1
    while value in col.special_codes:
        value += step
    return int(value) if col.dtype == "int" else float(value)


def _cases() -> Iterator[Any]:
    for col in FIELDS:
        name = col.name
        if col.required and name not in LINKED_COLUMNS:  # the platform computes those itself
            yield pytest.param(name, ..., "is required", id=f"{name}-missing")
        if not col.nullable and name not in LINKED_COLUMNS:  # those: null is "not sent", as left out
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
    ((got_field, got_rule),) = fields(response, 422)
    assert got_field == field
    if rule is None:  # a free string too long, or one with a format it does not match
        assert got_rule.startswith("must "), got_rule
    elif rule.startswith("must be one of: "):
        assert _rule_of_enum(got_rule) == _rule_of_enum(rule)
    else:
        assert got_rule == rule
    assert app.audited() == before


def test_every_error_of_a_body_is_listed_and_values_quoted_masked(app: InProcess) -> None:
    body = {**LAOWANG, "owner_age": 15, "industry": "fishing", "owner_id_number": "1101051978051"}
    del body["product"]
    response = app.post("/v1/score/application", body)
    problem(response, 422)
    items = {i["field"]: i for i in response.json()["errors"]}
    assert set(items) == {"owner_age", "industry", "owner_id_number", "product"}
    assert items["owner_age"]["got"] == 15 and "got" not in items["product"]
    assert "1101051978051" not in response.text


A_PHONE, AN_ID = "13912345678", "110105197805122318"


@pytest.mark.parametrize(("route", "body"), [
    ("/v1/score/application", {**LAOWANG, "owner_mobile": A_PHONE}),  # a misspelt field
    ("/v1/score/application", {**LAOWANG, "employees": int(AN_ID)}),  # a shifted column, sent as a number
    ("/v1/score/application", {**LAOWANG, "business_name": f"老王 {A_PHONE} " + "x" * 200}),  # too long
    ("/v1/score/application", {**LAOWANG, A_PHONE: 1}),  # a number as a key
    ("/v1/score/application/batch", [LAOWANG, {**LAOWANG, "industry": AN_ID}]),  # a batch's row errors
])
def test_an_id_or_phone_is_masked_in_an_error_whatever_field_it_came_in(app: InProcess, route: str, body: Any) -> None:
    # The personal fields' own values were masked before; a number under any other name came back as sent.
    response = app.post(route, body)
    assert response.status_code in (200, 422), response.text[:300]
    assert "errors" in response.text
    assert A_PHONE not in response.text and AN_ID not in response.text
    assert "139****5678" in response.text or "110105********2318" in response.text


def test_the_platforms_own_counts_sent_as_null_are_not_sent(app: InProcess) -> None:
    # A client's serialiser writes an unset optional field as null: that was a 422 per field.
    nulls = {name: None for name in LINKED_COLUMNS}
    left_out = {k: v for k, v in LAOWANG.items() if k not in LINKED_COLUMNS}
    sent_null = app.post("/v1/score/fraud", {**left_out, **nulls}, headers={**AUTH, "X-Request-ID": "nulls-1"})
    omitted = app.post("/v1/score/fraud", left_out, headers={**AUTH, "X-Request-ID": "nulls-2"})
    assert sent_null.status_code == omitted.status_code == 200, sent_null.text[:300]
    assert sent_null.json()["fraud"] == omitted.json()["fraud"]


def test_a_batch_row_error_leaves_got_out_when_nothing_was_received(app: InProcess) -> None:
    missing = {k: v for k, v in LAOWANG.items() if k != "owner_age"}
    answer = app.post("/v1/score/fraud/batch", [missing, [1, 2], {**LAOWANG, "owner_age": None}]).json()
    errors = {e["index"]: e["errors"] for e in answer["errors"]}
    assert errors[0] == [{"field": "owner_age", "rule": "is required"}]  # was "got": null: a null never sent
    assert "got" not in errors[1][0]
    assert errors[2] == [{"field": "owner_age", "rule": "must not be null", "got": None}]  # a null sent


def test_fields_each_in_range_but_contradictory_together_are_each_named(app: InProcess) -> None:
    """9 inquiries in 3 months but none in 6, and so on: a 422 naming each field and its rule,
    single and in a batch (where the good rows are still scored), and nothing audited for them."""
    contradictory = {**LAOWANG, "pb_inquiries_3m": 9, "pb_inquiries_6m": 0, "applications_7d": 9,
                     "applications_30d": 0, "pb_max_dpd_24m": 90, "pb_months_since_overdue": -1}
    before = app.audited()
    response = app.post("/v1/score/application", contradictory)
    assert fields(response, 422) == [
        ("pb_inquiries_3m", "must be at most pb_inquiries_6m (the last 3 months are within the last 6)"),
        ("applications_7d", "must be at most applications_30d (the last 7 days are within the last 30)"),
        ("pb_max_dpd_24m", "must be 0 when pb_months_since_overdue is -1 (never overdue)")]
    assert [e["got"] for e in response.json()["errors"]] == [9, 9, 90]
    assert app.audited() == before
    batch = app.post("/v1/score/application/batch", [LAOWANG, {**LAOWANG, "pb_inquiries_3m": 9, "pb_inquiries_6m": 0}])
    answer = batch.json()
    assert (answer["scored"], answer["refused"]) == (1, 1)
    assert answer["errors"] == [{"index": 1, "errors": [{"field": "pb_inquiries_3m", "got": 9, "rule": (
        "must be at most pb_inquiries_6m (the last 3 months are within the last 6)")}]}]
    # Equal windows are no contradiction: 2 inquiries in 3 months and the same 2 in 6.
    assert app.post("/v1/score/application", {**LAOWANG, "pb_inquiries_3m": 2, "pb_inquiries_6m": 2}).status_code == 200


def test_nullable_sources_may_be_null_or_absent(app: InProcess) -> None:
    optional = [c.name for c in FIELDS if c.nullable]
    assert optional  # the contract has sources a customer may lack
    nulls = app.post("/v1/score/application", {**LAOWANG, **dict.fromkeys(optional)})
    absent = app.post("/v1/score/application", {k: v for k, v in LAOWANG.items() if k not in optional})
    assert nulls.status_code == absent.status_code == 200, (nulls.text, absent.text)
    assert without_request_id(nulls.json()) == without_request_id(absent.json())


@pytest.mark.parametrize(("content", "status"), [
    (b"null", 422), (b"[]", 422), (b'"laowang"', 422), (b"42", 422), (b"", 422), (b'{"owner_age": ', 400),
    (b"\xff\xfe", 400), (b"[" * 60_000, 400), (b'{"owner_age": ' + b"9" * 5_000 + b"}", 400),
])
def test_a_body_that_is_not_an_application_is_a_4xx(app: InProcess, content: bytes, status: int) -> None:
    before = app.audited()
    ((field, rule),) = fields(app.post("/v1/score/application", content=content), status)[:1]
    assert field == "body" and rule.startswith(("must", "is required")), rule
    assert app.audited() == before


def test_a_body_sent_as_another_content_type_is_415(app: InProcess) -> None:
    response = app.post("/v1/score/application", content=json.dumps(LAOWANG).encode(),
                        headers={**AUTH, "Content-Type": "text/plain"})
    assert fields(response, 415) == [("Content-Type", "must be application/json")]


@pytest.mark.parametrize("content_type", ["application/json; charset=latin-1", 'application/json; charset="GBK"',
                                          "application/json;charset=utf-16"])
def test_a_body_declared_in_a_charset_other_than_utf8_is_415_not_read_as_utf8(app: InProcess,
                                                                               content_type: str) -> None:
    # The business name read as UTF-8 from Latin-1 bytes would be another name than the one sent.
    before = app.audited()
    body = {**LAOWANG, "business_name": "Café Lü"}
    response = app.post("/v1/score/application", content=json.dumps(body, ensure_ascii=False).encode("latin-1"),
                        headers={**AUTH, "Content-Type": content_type})
    assert fields(response, 415) == [("Content-Type", "must be application/json in UTF-8: a charset, when "
                                      "given, must be utf-8")]
    assert "latin" not in response.text.lower() and "gbk" not in response.text.lower()  # the header is not quoted
    assert app.audited() == before


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", '"utf-8"', "utf8"])
def test_a_body_declared_utf8_in_any_spelling_is_scored(app: InProcess, charset: str) -> None:
    response = app.post("/v1/score/application", content=json.dumps(LAOWANG, ensure_ascii=False).encode(),
                        headers={**AUTH, "Content-Type": f"application/json; charset={charset}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("field", ["business_name", "application_id"])
@pytest.mark.parametrize("blank", [" ", "\u3000\u3000", "\t\n ", "\u00a0", "\u200b", "\ufeff", "\u2028\u00ad", "\x00"])
def test_a_blank_name_or_id_is_a_422_naming_the_field(app: InProcess, field: str, blank: str) -> None:
    before = app.audited()
    response = app.post("/v1/score/application", {**LAOWANG, field: blank})
    assert fields(response, 422) == [(field, NOT_BLANK_RULE)]
    assert app.audited() == before


# -- what json.loads lets through: repeated keys, text that is not Unicode --------------------
def test_a_repeated_key_is_refused_naming_it_not_scored_with_the_last_value(app: InProcess) -> None:
    # The case: the knock-out flag sent twice, the clean value last.
    text = json.dumps({**LAOWANG, "blacklist_hit": True}, ensure_ascii=False)
    body = text[:-1] + ', "blacklist_hit": false}'
    assert json.loads(body)["blacklist_hit"] is False  # what a lenient parser would score
    before = app.audited()
    response = app.post("/v1/score/application", content=body.encode())
    ((field, rule),) = fields(response, 400)
    assert field == "blacklist_hit" and rule.startswith("must appear once")
    assert app.audited() == before


def test_a_repeated_key_in_a_batch_row_is_named_by_its_index(app: InProcess) -> None:
    row = json.dumps(LAOWANG, ensure_ascii=False)
    body = f'[{row}, {row[:-1]}, "owner_age": 40}}]'
    assert fields(app.post("/v1/score/application/batch", content=body.encode()), 400)[0][0] == "[1].owner_age"


@pytest.mark.parametrize("text", ['"\\ud800"', '"\\udfff tail"', '"head \\udc80"'],
                         ids=["high", "low-then-text", "text-then-low"])
def test_a_lone_surrogate_is_a_400_naming_the_field(app: InProcess, text: str) -> None:
    body = json.dumps(LAOWANG, ensure_ascii=False).replace('"REF-LAOWANG"', text, 1)
    before = app.audited()
    assert fields(app.post("/v1/score/application", content=body.encode()), 400) == [
        ("application_id", "must be valid UTF-8 text: no undecodable bytes, no lone surrogates (\\ud800-\\udfff)")]
    assert app.audited() == before


def test_a_surrogate_pair_is_one_character_and_is_scored(app: InProcess) -> None:
    body = json.dumps(LAOWANG, ensure_ascii=False).replace('"REF-LAOWANG"', '"REF-\\ud83d\\ude00"', 1)
    response = app.post("/v1/score/application", content=body.encode())
    assert response.status_code == 200, response.text
    assert response.json()["application_id"] == "REF-\U0001F600"


@pytest.mark.parametrize("raw", [b"\xff", b"\xc3\x28", b"\xed\xa0\x80"], ids=["ff", "bad-continuation", "utf8-surrogate"])
def test_bytes_that_are_not_utf8_are_a_400_naming_the_field(app: InProcess, raw: bytes) -> None:
    body = json.dumps(LAOWANG, ensure_ascii=False).encode().replace(b'"REF-LAOWANG"', b'"REF-' + raw + b'"', 1)
    assert [f for f, _ in fields(app.post("/v1/score/application", content=body), 400)] == ["application_id"]


@pytest.mark.parametrize(("field", "value"), [("owner_id_number", "１１０１０５１９７８０５１２３４５６"),
                                              ("owner_phone", "１３８１２３４５６７８"),
                                              ("owner_phone", "1٣٨١٢٣٤٥٦٧٨")])
def test_id_and_phone_numbers_take_ascii_digits_only(app: InProcess, field: str, value: str) -> None:
    # Full-width (and Arabic-Indic) digits are digits to a regex's \d, never in an ID or phone.
    assert re.fullmatch(r"\d+", value) and not value.isascii()
    response = app.post("/v1/score/application", {**LAOWANG, field: value})
    ((got_field, rule),) = fields(response, 422)
    assert got_field == field and "digits 0-9" in rule
    assert value not in response.text  # quoted back masked


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
    body = problem(response, 413)
    assert body.detail == f"body larger than {limit} bytes; send at most {limit}"
    assert app.audited() == before


# -- batch size ---------------------------------------------------------------------------
def test_a_full_batch_fits_the_body_limit_and_is_scored_whole(app: InProcess) -> None:
    batch = [REFERENCES[n] for n in sorted(REFERENCES)] * (MAX_BATCH // len(REFERENCES))
    batch += [LAOWANG] * (MAX_BATCH - len(batch))
    assert len(json.dumps(batch, ensure_ascii=False).encode()) <= MAX_BATCH_BODY_BYTES
    before = app.audited()
    response = app.post("/v1/score/application/batch", batch)
    assert response.status_code == 200, response.text[:500]
    answer = response.json()
    assert (answer["scored"], answer["refused"], answer["errors"]) == (MAX_BATCH, 0, [])
    assert [r["index"] for r in answer["results"]] == list(range(MAX_BATCH))
    assert [r["answer"]["application_id"] for r in answer["results"]] == [b["application_id"] for b in batch]
    assert [r["answer"]["request_id"] for r in answer["results"]] == [
        f"{answer['request_id']}:{i}" for i in range(MAX_BATCH)]
    assert app.audited() == before + MAX_BATCH


@pytest.mark.parametrize("path", ["/v1/score/application/batch", "/v1/score/fraud/batch",
                                  "/v1/score/behavior/batch", "/v1/score/collection/batch"])
@pytest.mark.parametrize(("body", "field", "rule"), [
    ([LAOWANG] * (MAX_BATCH + 1), "body", f"must have at most {MAX_BATCH} rows per request"),
    ([], "body", "must not be empty"),
    (LAOWANG, "body", "must be a JSON array, one object per row"),
], ids=["too-many", "empty", "not-a-list"])
def test_batch_size_and_shape_are_checked(app: InProcess, path: str, body: Any, field: str, rule: str) -> None:
    before = app.audited()
    assert fields(app.post(path, body), 422) == [(field, rule)]
    assert app.audited() == before


def test_a_batch_scores_each_valid_row_and_refuses_each_invalid_one_at_its_index(app: InProcess) -> None:
    batch = [LAOWANG, {**LAOWANG, "owner_age": 15}, REFERENCES["shendu"], {**LAOWANG, "requested_amount": math.inf},
             42, {**LAOWANG, "owner_phone": "１３８１２３４５６７８", "industry": "fishing"}]
    before = app.audited()
    response = app.post("/v1/score/application/batch", batch, headers={**AUTH, "X-Request-ID": "batch-mixed-1"})
    assert response.status_code == 200, response.text[:500]
    answer = response.json()
    assert (answer["request_id"], answer["scored"], answer["refused"]) == ("batch-mixed-1", 2, 4)
    assert [r["index"] for r in answer["results"]] == [0, 2]
    assert [[(i["field"], i["rule"][:12]) for i in e["errors"]] for e in answer["errors"]] == [
        [("owner_age", "must be betw")], [("requested_amount", "must be a fi")], [("row", "must be a JS")],
        [("owner_phone", "must be 11 d"), ("industry", "must be one ")]]
    assert [e["index"] for e in answer["errors"]] == [1, 3, 4, 5]
    # Each scored row is the single answer, under its own id, and audited; nothing else is.
    for result, body in zip(answer["results"], (LAOWANG, REFERENCES["shendu"])):
        single = app.post("/v1/score/application", body).json()
        assert without_request_id(result["answer"]) == without_request_id(single)
        assert app.service.audit.get(f"batch-mixed-1:{result['index']}").endpoint == "application/batch"
    assert app.audited() == before + 2 + 2  # the batch's two rows and the two singles
    assert "１３８１２３４５６７８" not in response.text


def test_a_batch_of_invalid_rows_only_scores_nothing_and_says_why(app: InProcess) -> None:
    before = app.audited()
    response = app.post("/v1/score/fraud/batch", [{**LAOWANG, "owner_age": 15}, None])
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("scored", "refused", "results")} == {"scored": 0, "refused": 2,
                                                                                 "results": []}
    assert app.audited() == before


# -- request ids ---------------------------------------------------------------------------
def test_a_sane_request_id_is_echoed_and_is_the_audit_records_id(app: InProcess) -> None:
    response = app.post("/v1/score/fraud", REFERENCES["shendu"], headers={**AUTH, "X-Request-ID": "loan-sys.4711_a~b"})
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == response.json()["request_id"] == "loan-sys.4711_a~b"
    assert app.service.audit.get("loan-sys.4711_a~b").endpoint == "fraud"


def test_without_a_request_id_one_is_made_and_returned(app: InProcess) -> None:
    first, second = (app.post("/v1/score/fraud", REFERENCES["shendu"]) for _ in range(2))
    ids = [r.headers["X-Request-ID"] for r in (first, second)]
    assert ids == [r.json()["request_id"] for r in (first, second)] and ids[0] != ids[1]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


@pytest.mark.parametrize("sent", ["x" * 129, "has space", "colon:inside", "ключ", "a\tb", ""],
                         ids=["too-long", "space", "colon", "not-ascii", "tab", "empty"])
def test_an_insane_request_id_is_refused_and_never_echoed(app: InProcess, sent: str) -> None:
    before = app.audited()
    response = app.post("/v1/score/application", LAOWANG, headers={**AUTH, "X-Request-ID": sent.encode()})
    assert fields(response, 400) == [("X-Request-ID", REQUEST_ID_RULE)]
    assert response.headers["X-Request-ID"] != sent and (not sent or sent.encode() not in response.content)
    assert app.audited() == before


def test_a_request_id_used_twice_is_409_and_the_first_decision_stands(app: InProcess) -> None:
    headers = {**AUTH, "X-Request-ID": "twice-1"}
    first = app.post("/v1/score/application", LAOWANG, headers=headers)
    assert first.status_code == 200
    before = app.audited()
    again = app.post("/v1/score/application", REFERENCES["shendu"], headers=headers)
    assert fields(again, 409)[0][0] == "X-Request-ID"
    assert app.audited() == before
    assert app.service.audit.get("twice-1").decision == first.json()["decision"]


def test_an_application_refused_409_leaves_no_link_to_count_in_later_decisions(app: InProcess) -> None:
    import dataclasses

    svc = app.service
    first = app.post("/v1/score/application", LAOWANG, headers={**AUTH, "X-Request-ID": "taken-by-b-1"})
    # The request id of a B card's answer, say: the application's links were new, its audit refused.
    svc.audit.append([dataclasses.replace(svc.audit.get(first.json()["request_id"]), request_id="ghost-1",
                                          endpoint="behavior", decision="keep")])
    owner = {**REFERENCES["shendu"], "application_id": "GHOST-1", "owner_id_number": "650102199912319875",
             "owner_phone": "13677778899", "applications_7d": 0, "applications_30d": 0}
    links = svc.links.count()
    refused = app.post("/v1/score/application", owner, headers={**AUTH, "X-Request-ID": "ghost-1"})
    assert fields(refused, 409)[0][0] == "X-Request-ID"
    assert svc.links.count() == links  # before: the refused application stayed, counted by the next one
    later = app.post("/v1/score/application", {**owner, "application_id": "REAL-1"})
    assert later.status_code == 200, later.text[:300]
    decided_on = svc.audit.get(later.json()["request_id"]).decided_on
    assert (decided_on["applications_7d"], decided_on["applications_30d"]) == (0, 0), decided_on


# -- idempotency ---------------------------------------------------------------------------
def test_a_batch_sent_again_with_its_idempotency_key_is_answered_not_scored_again(app: InProcess) -> None:
    batch = [LAOWANG, {**LAOWANG, "owner_age": 15}]
    headers = {**AUTH, "Idempotency-Key": "batch-again-1"}
    first = app.post("/v1/score/fraud/batch", batch, headers=headers)
    audited = app.audited()
    again = app.post("/v1/score/fraud/batch", batch, headers=headers)
    assert first.status_code == again.status_code == 200 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and app.audited() == audited
    assert again.headers["X-Request-ID"] == first.json()["request_id"]
    # The key names one body on one route: another route is another request.
    elsewhere = app.post("/v1/score/application/batch", batch, headers=headers)
    assert elsewhere.status_code == 200 and "Idempotent-Replayed" not in elsewhere.headers
    assert fields(app.post("/v1/score/fraud/batch", batch[:1], headers=headers), 409) == [
        ("Idempotency-Key", "must name one body only: it was sent before on this route with another body")]
    # One value written another way ("8" then "8.0", as serialisers differ) is the same body, as
    # on the single routes: the stored answer, not a 409.
    written = [{**LAOWANG, "years_in_business": 8}, {**LAOWANG, "owner_age": 15}]
    keyed = {**AUTH, "Idempotency-Key": "batch-again-2"}
    once = app.post("/v1/score/fraud/batch", written, headers=keyed)
    retried = app.post("/v1/score/fraud/batch", [{**written[0], "years_in_business": 8.0}, written[1]], headers=keyed)
    assert retried.status_code == 200 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.content == once.content


def test_of_two_racing_repeats_the_first_to_commit_wins(app: InProcess) -> None:
    from riskmodels.audit import IdempotentAnswer
    from serving.idempotency import answer

    svc = app.service
    row = ApplicationRequest.model_validate(LAOWANG).model_dump(mode="json")
    scope: dict[str, Any] = {"type": "http", "path": "/v1/score/application", "state": {"request_id": "race-late"},
                             "headers": [(b"idempotency-key", b"race-1")]}

    def work() -> Any:
        # The first request's answer is committed while this one is being scored.
        svc.commit([], IdempotentAnswer(key="race-1", endpoint="application", input_hmac=svc.audit.input_digest(row),
                                        request_id="race-early", status=200, body=b'{"first": true}'))
        decisions, records = svc.decide_rows("application", [("race-late", row)])
        return decisions[0], records

    before = app.audited()
    response = answer(svc, scope, "application", lambda: svc.audit.input_digest(row), work)
    assert (response.status_code, response.body, response.headers["Idempotent-Replayed"]) == (
        200, b'{"first": true}', "true")
    assert scope["state"]["request_id"] == "race-early"  # the answer goes out under the first id
    assert app.audited() == before  # the late decision was not audited: it was never given


# -- every error is a problem --------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "headers", "status"), [
    ("GET", "/v1/no-such-route", AUTH, 404),
    ("GET", "/v1/score/application", AUTH, 405),
    ("DELETE", "/v1/models", AUTH, 405),
    ("GET", "/v1/drawdown", AUTH, 405),  # the routes of an included router, too
    ("GET", "/v1/score/due-diligence", AUTH, 405),
    ("POST", "/v1/score/application", {}, 401),
    ("POST", "/v1/no-such-route", {}, 401),
])
def test_other_paths_and_methods_under_v1_are_problems_too(app: InProcess, method: str, path: str,
                                                           headers: dict[str, str], status: int) -> None:
    response = app.portal.call(partial(app.client.request, method, path, headers=headers))
    problem(response, status)
    if status == 405:
        assert response.headers["allow"] == ("GET" if path.endswith("models") else "POST")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no-such-page", 404),
    ("POST", "/score/application", 404),  # the API is under /v1 only
    ("GET", "/livez/extra", 404),
    ("POST", "/docs.json", 405),
    ("POST", "/livez", 405),  # BentoML's own route
])
def test_other_paths_and_methods_outside_v1_are_problems_too(app: InProcess, method: str, path: str,
                                                             status: int) -> None:
    response = app.portal.call(partial(app.client.request, method, path, headers={"X-Request-ID": "lost-1"}))
    body = problem(response, status)
    assert body.request_id == "lost-1"
    assert (path in body.detail) and ("/v1" in body.detail if status == 404 else "POST" in body.detail)
    if status == 405:
        assert response.headers["allow"] == "GET, HEAD"


def test_the_docs_page_still_gets_bentomls_static_files(app: InProcess) -> None:
    """The catch-all outside /v1 leaves BentoML's routes after it alone: Swagger UI's files."""
    page = app.get("/docs", headers={}).text
    files = re.findall(r'(?:src|href)="\.(/static_content/[^"]+)"', page)
    assert len(files) >= 3  # Swagger UI's script, its style sheet and the icon
    for path in files:
        response = app.get(path, headers={})
        assert response.status_code == 200 and response.headers["content-type"] != "application/problem+json"


def test_service_state_is_the_trained_store(app: InProcess, trained_store: Settings) -> None:
    assert Path(app.service.settings.home) == Path(trained_store.home)
    assert app.get("/readyz", headers={}).status_code == 200


# -- the spec and the docs page --------------------------------------------------------------
def test_the_spec_is_the_projects_and_every_error_is_a_problem(app: InProcess) -> None:
    from importlib.metadata import version

    spec = app.get("/docs.json", headers={}).json()
    assert spec["info"]["title"] == "riskmodels scoring API" and spec["info"]["version"] == version("riskmodels")
    assert "problem+json" in spec["info"]["description"] and "BentoML" not in json.dumps(spec["info"])
    operations = [(path, op) for path, item in spec["paths"].items() if path.startswith("/v1/") for op in item.values()]
    assert {p for p, _ in operations} >= {"/v1/score/application", "/v1/score/collection/batch", "/v1/admin/reload"}
    for path, op in operations:
        for code, response in op["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, code)
            assert "X-Request-ID" in response["headers"]
    batch = spec["paths"]["/v1/score/application/batch"]["post"]["responses"]["200"]["content"]["application/json"]
    assert batch["schema"]["$ref"].endswith("BatchAnswer_Decision_")
    assert {"/livez", "/readyz", "/metrics"} <= set(spec["paths"])


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_the_docs_page_loads_nothing_from_another_host(app: InProcess, path: str) -> None:
    page = app.get(path, headers={})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page.text) == []  # no absolute URL at all
    assert "googletagmanager" not in page.text and "<iframe" not in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "http" not in csp
    for asset in re.findall(r'(?:src|href)="\./([^"]+)"', page.text):
        loaded = app.get("/" + asset, headers={})
        assert loaded.status_code == 200, asset
        assert "googletagmanager" not in loaded.text[:200_000]
    start = app.get("/docs/swagger-init.js", headers={}).text
    assert "validatorUrl: null" in start and "./docs.json" in start
