"""Drawdown retries, facility expiry and the freeze routes over real HTTP: a ``bentoml serve`` on
127.0.0.1 with the session's champions, the audit log and the loan store on disk. One server
start for the module."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from riskmodels.config import Settings
from riskmodels.loans import LoanStore
from riskmodels.loans.inputs import OFFICER_RULE
from riskmodels.loans.schema import draw_keys, draws
from riskmodels.stores import open_engine
from tests._server import running
from tests.loans.conftest import decision

pytestmark = pytest.mark.e2e

KEY = "e2e-loans-retries-key"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
PSEUDONYM_KEY = "e2e-loans-retries-" + "0" * 40
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"


@pytest.fixture(scope="module")
def server(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    tmp = tmp_path_factory.mktemp("e2e-loans-retries")
    loans_url = f"sqlite:///{tmp / 'loans.sqlite'}"
    env = {"RISKMODELS_HOME": str(trained_store.home), "RISKMODELS_API_KEYS": KEY,
           "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite"), "RISKMODELS_PSEUDONYM_KEY": PSEUDONYM_KEY,
           "RISKMODELS_LOAN_STORE_URL": loans_url, "RISKMODELS_LINK_STORE_URL": f"sqlite:///{tmp / 'links.sqlite'}"}
    with running(env, wait_path="/readyz", log_file=tmp / "server.log", timeout=180.0) as base, \
            httpx.Client(base_url=base, timeout=60.0, headers=AUTH) as http:
        yield http, loans_url


def post(client: httpx.Client, path: str, body: Any, **headers: str) -> httpx.Response:
    return client.post(path, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                       headers={k.replace("_", "-"): v for k, v in headers.items()})


def problem(response: httpx.Response, status: int, field: str, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert [e["field"] for e in body["errors"]] == [field], body
    assert all(e["rule"] for e in body["errors"])
    if kind is not None:
        assert body["type"].endswith(kind), body
    return body


def _facility(client: httpx.Client) -> dict[str, Any]:
    """A line opened from a lending decision of a reference customer."""
    for path in sorted(REFERENCE_DIR.glob("*.json")):
        answer = post(client, "/v1/score/application", json.loads(path.read_text(encoding="utf-8"))).json()
        if answer["decision"] in ("approve", "offer") and answer["limit"]["final"] > 0:
            opened = post(client, "/v1/facilities", {"decision_request_id": answer["request_id"]})
            assert opened.status_code == 201, opened.text
            facility: dict[str, Any] = opened.json()
            return facility
    raise AssertionError("a reference customer must be lent to")


def _count(url: str, table: sa.Table) -> int:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    finally:
        engine.dispose()


def test_a_draw_retried_under_one_idempotency_key_is_recorded_once(server: tuple[httpx.Client, str]) -> None:
    client, url = server
    facility = _facility(client)
    assert facility["expires_on"] and not facility["expired"]
    body, key = {"facility_id": facility["facility_id"], "amount": 10_000}, uuid.uuid4().hex
    before = _count(url, draws)
    first = post(client, "/v1/drawdown", body, Idempotency_Key=key)
    assert first.status_code == 200 and first.json()["accepted"], first.text
    again = post(client, "/v1/drawdown", body, Idempotency_Key=key)  # a new X-Request-ID, the same key
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["X-Request-ID"] == first.headers["X-Request-ID"] == first.json()["request_id"]
    reused = post(client, "/v1/drawdown", {**body, "amount": 20_000}, Idempotency_Key=key)
    problem(reused, 409, "Idempotency-Key", "idempotency-key-reused")
    problem(post(client, "/v1/drawdown", body, Idempotency_Key="has spaces in it"), 400, "Idempotency-Key",
            "invalid-header")
    assert client.get(f"/v1/facilities/{facility['facility_id']}").json()["drawn"] == 10_000
    assert _count(url, draws) == before + 1 and _count(url, draw_keys) >= 1  # one draw, on the store too


def test_an_officer_freezes_and_lifts_a_line_and_the_draw_reads_it(server: tuple[httpx.Client, str]) -> None:
    client, _ = server
    facility = _facility(client)
    path = f"/v1/facilities/{facility['facility_id']}"
    order = {"officer": "li.xiao", "reason": "no flow for a month; visit booked"}
    frozen = post(client, f"{path}/freeze", order)
    assert frozen.status_code == 200, frozen.text
    assert (frozen.json()["frozen"], frozen.json()["available"]) == (facility["limit"], 0)
    twice = post(client, f"{path}/freeze", {**order, "reason": "again"})
    assert twice.status_code == 200 and twice.json() == frozen.json()
    refused = post(client, "/v1/drawdown", {"facility_id": facility["facility_id"], "amount": 1_000})
    assert (refused.json()["accepted"], refused.json()["refusal"]) == (False, "frozen")
    lifted = post(client, f"{path}/unfreeze", {"officer": "wang.fang", "reason": "flow back"})
    assert lifted.status_code == 200 and lifted.json()["available"] == facility["limit"]
    history = client.get(f"{path}/freezes").json()
    assert [(e["action"], e["officer"], e["reason"]) for e in history] == [
        ("freeze", "li.xiao", order["reason"]), ("release", "wang.fang", "flow back")]

    problem(post(client, "/v1/facilities/no-such-line/freeze", order), 404, "facility_id", "unknown-reference")
    problem(client.get("/v1/facilities/no-such-line/freezes"), 404, "facility_id")
    refused = problem(post(client, f"{path}/freeze", {**order, "officer": "li xiao"}), 422, "officer")
    assert refused["errors"][0]["rule"] == OFFICER_RULE  # the store's rule in words, not a regular expression
    both = post(client, f"{path}/freeze", {"officer": "a b", "reason": ""})
    assert both.status_code == 422 and {e["field"]: e["rule"] for e in both.json()["errors"]} == {
        "officer": OFFICER_RULE, "reason": "must not be empty"}
    problem(post(client, f"{path}/freeze", {"officer": "li.xiao"}), 422, "reason")
    assert len(client.get(f"{path}/freezes").json()) == 2  # none of the refusals wrote anything


def test_a_draw_after_the_facility_expired_is_a_409_naming_it(server: tuple[httpx.Client, str]) -> None:
    client, url = server
    # A line opened two years ago for 12 months, in the service's own store.
    store = LoanStore(open_engine(url), PSEUDONYM_KEY.encode())
    try:
        old = store.open_facility(decision(), at=datetime(2024, 1, 15, tzinfo=UTC))
    finally:
        store.close()
    shown = client.get(f"/v1/facilities/{old.facility_id}").json()
    assert (shown["expires_on"], shown["expired"], shown["available"]) == ("2025-01-15", True, 0)
    late = post(client, "/v1/drawdown", {"facility_id": old.facility_id, "amount": 1_000})
    body = problem(late, 409, "facility_id", "facility-expired")
    assert "expired on 2025-01-15" in body["errors"][0]["rule"] and "expiry date" in body["detail"]
    late = post(client, "/v1/drawdown", {"decision_request_id": old.request_id, "amount": 1_000})
    problem(late, 409, "decision_request_id", "facility-expired")
    assert client.get(f"/v1/facilities/{old.facility_id}").json()["drawn"] == 0


def test_the_openapi_document_names_expiry_and_the_draws_idempotency_key(server: tuple[httpx.Client, str]) -> None:
    client, _ = server
    spec = client.get("/docs.json").json()
    draw = spec["paths"]["/v1/drawdown"]["post"]
    assert "past its expiry date" in draw["responses"]["409"]["description"]
    assert "application/problem+json" in draw["responses"]["409"]["content"]
    # A draw takes an Idempotency-Key as scoring does, and the document says so.
    assert "Idempotency-Key" in {p["name"] for p in draw["parameters"]}
    assert "Idempotent-Replayed" in draw["responses"]["200"]["headers"]
