"""The loan's later stages over real HTTP: a ``bentoml serve`` on 127.0.0.1 with the session's
champions, the audit log and the loan store on disk. One server start for the whole module."""

from __future__ import annotations

import calendar
import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from riskmodels.config import Settings
from tests._server import running

pytestmark = pytest.mark.e2e

KEY = "e2e-loans-key"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
REFERENCES = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(REFERENCE_DIR.glob("*.json"))}


@pytest.fixture(scope="module")
def client(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp = tmp_path_factory.mktemp("e2e-loans")
    env = {"RISKMODELS_HOME": str(trained_store.home), "RISKMODELS_API_KEYS": KEY,
           "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite"), "RISKMODELS_PSEUDONYM_KEY": "e2e-loans-" + "0" * 40,
           "RISKMODELS_LOAN_STORE_URL": f"sqlite:///{tmp / 'loans.sqlite'}",
           "RISKMODELS_LINK_STORE_URL": f"sqlite:///{tmp / 'links.sqlite'}"}
    with running(env, wait_path="/readyz", log_file=tmp / "server.log", timeout=180.0) as base, \
            httpx.Client(base_url=base, timeout=60.0, headers=AUTH) as http:
        yield http


def post(client: httpx.Client, path: str, body: Any, request_id: str | None = None) -> httpx.Response:
    headers = {"X-Request-ID": request_id} if request_id else {}
    return client.post(path, content=json.dumps(body, ensure_ascii=False).encode("utf-8"), headers=headers)


def problem(response: httpx.Response, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert [e["field"] for e in body["errors"]] == [field], body
    return body


def test_a_decision_opens_a_line_that_draws_freezes_and_records_the_officer(client: httpx.Client) -> None:
    decisions = {}
    for name, body in REFERENCES.items():
        answer = post(client, "/v1/score/application", body)
        assert answer.status_code == 200, answer.text[:300]
        decisions[name] = answer.json()
    lending = next(d for d in decisions.values() if d["decision"] in ("approve", "offer") and d["limit"]["final"] > 0)
    limit = lending["limit"]["final"]

    opened = post(client, "/v1/facilities", {"decision_request_id": lending["request_id"], "account_id": "ACC-1"})
    assert opened.status_code == 201, opened.text
    facility = opened.json()
    assert (facility["limit"], facility["rate"], facility["available"]) == (limit, lending["rate"], limit)

    # A fraud answer audits the whole decision, but its caller was shown only the fraud score:
    # no line opens on it, nor does an officer settle it.
    verdict = post(client, "/v1/score/fraud", {**REFERENCES["laowang"], "application_id": "FRAUD-ONLY",
                                             "owner_id_number": "110105198703041239", "owner_phone": "13677778888"})
    assert verdict.status_code == 200 and "limit" not in verdict.json(), verdict.text[:300]
    fraud_id = verdict.json()["request_id"]
    refused = problem(post(client, "/v1/facilities", {"decision_request_id": fraud_id}), 404, "decision_request_id")
    assert "got a fraud answer" in refused["errors"][0]["rule"]
    problem(post(client, f"/v1/decisions/{fraud_id}/outcome", {"decision": "approve", "amount": 100_000, "rate": 5.0,
                                                              "officer": "li.xiao", "reason_code": "DD_TURNOVER_VERIFIED"}),
            404, "request_id")

    draw_id = uuid.uuid4().hex
    first = post(client, "/v1/drawdown", {"facility_id": facility["facility_id"], "amount": 10_000}, draw_id)
    assert first.status_code == 200 and first.json()["accepted"] and first.json()["payment_mode"] == "self"
    again = post(client, "/v1/drawdown", {"facility_id": facility["facility_id"], "amount": 10_000}, draw_id)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    over = post(client, "/v1/drawdown", {"decision_request_id": lending["request_id"], "amount": limit})
    assert over.status_code == 200 and over.json()["accepted"] is False  # a refusal is an answer
    assert over.json()["refusal"] == "above_available" and over.json()["available"] == limit - 10_000

    problem(post(client, "/v1/drawdown", {"facility_id": facility["facility_id"], "amount": 0}), 422, "amount")
    problem(post(client, "/v1/drawdown", {"facility_id": facility["facility_id"], "amount": 500_000}), 422, "payee")
    problem(post(client, "/v1/drawdown", {"facility_id": "no-such-line", "amount": 100}), 404, "facility_id")
    problem(post(client, "/v1/drawdown", {"facility_id": facility["facility_id"], "amount": 100}, draw_id),
            409, "X-Request-ID")
    still = client.get(f"/v1/facilities/{facility['facility_id']}").json()
    assert still["drawn"] == 10_000  # none of the refused requests drew anything

    # The line lends the product asked for, for the term asked for within the product's maximum.
    asked = {**REFERENCES["laowang"], "application_id": "POS-24", "owner_id_number": "110105198502023456",
             "owner_phone": "13655556666", "product": "pos_loan", "requested_term_months": 24,
             "requested_amount": 150_000.0}
    pos = post(client, "/v1/score/application", asked).json()
    assert (pos["decision"], pos["limit"]["requested_product"]) == ("approve", "pos_loan"), pos
    line = post(client, "/v1/facilities", {"decision_request_id": pos["request_id"]}).json()
    assert (line["product"], line["term_months"]) == ("pos_loan", 24), line
    opened = date.fromisoformat(line["opened_at"][:10])
    last_day = calendar.monthrange(opened.year + 2, opened.month)[1]  # 29 Feb + 2 years: 28 Feb
    assert line["expires_on"] == date(opened.year + 2, opened.month, min(opened.day, last_day)).isoformat()

    settled = decisions[min(decisions, key=lambda n: decisions[n]["decision"] != "review")]
    outcome = {"decision": "approve", "amount": 120_000, "rate": 5.0, "officer": "li.xiao",
               "reason_code": "DD_TURNOVER_VERIFIED"}
    problem(post(client, "/v1/decisions/never-scored/outcome", outcome), 404, "request_id")
    problem(post(client, f"/v1/decisions/{settled['request_id']}/outcome", {**outcome, "reason_code": "HIDDEN_DEBT"}),
            422, "reason_code")
    several = post(client, f"/v1/decisions/{settled['request_id']}/outcome",
                   {**outcome, "reason_code": "NOT_A_CODE", "rate": -4.0})
    assert several.status_code == 422 and [e["field"] for e in several.json()["errors"]] == ["reason_code", "rate"]
    recorded = post(client, f"/v1/decisions/{settled['request_id']}/outcome", outcome)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["triggers"] == [r["id"] for r in settled["rules"] if r["action"] != "info"]
    problem(post(client, f"/v1/decisions/{settled['request_id']}/outcome", outcome), 409, "request_id")
