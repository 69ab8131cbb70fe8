"""Due-diligence rescoring end to end (seed 000 §五): a real ``riskmodels serve`` on 127.0.0.1,
the session's trained store, the audit database on disk, one server for the module.

The restaurant asks more than it is pre-approved for, is offered the pre-approved limit, and the
account manager's findings are sent under the application's request id: the answer equals the
library's ``rescore`` on the same champions, and is audited as its own decision linked to the
first. An unknown request id (404), another application (409, naming each differing field) and
a finding out of its contract (422, naming it and the rule) are problems carrying the request
id, and score nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from riskmodels.config import Settings
from tests._server import running
from tests.decision.test_diligence import SEED_FINDINGS, SEED_REQUEST

pytestmark = pytest.mark.e2e

KEY = "dd-e2e-key"
PSEUDONYM_KEY = "dd-e2e-pseudonym-key-0123456789abcdef0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "laowang.json"
LAOWANG = {**json.loads(REFERENCE.read_text(encoding="utf-8")), "requested_amount": SEED_REQUEST}


class Server:
    def __init__(self, client: httpx.Client, audit_db: Path) -> None:
        self.client, self.audit_db = client, audit_db

    def post(self, path: str, body: Any, request_id: str | None = None) -> httpx.Response:
        headers = {**AUTH, **({"X-Request-ID": request_id} if request_id else {})}
        return self.client.post(path, content=json.dumps(body, ensure_ascii=False).encode("utf-8"), headers=headers)

    def audited(self) -> int:
        with sqlite3.connect(self.audit_db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])


@pytest.fixture(scope="module")
def server(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("dd-server")
    env = {"RISKMODELS_HOME": str(trained_store.home), "RISKMODELS_API_KEYS": KEY,
           "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite"), "RISKMODELS_PSEUDONYM_KEY": PSEUDONYM_KEY}
    with running(env, wait_path="/readyz", log_file=tmp / "server.log", timeout=180.0) as base, \
            httpx.Client(base_url=base, timeout=60.0) as client:
        yield Server(client, tmp / "audit.sqlite")


@pytest.fixture(scope="module")
def first(server: Server) -> dict[str, Any]:
    """The restaurant's application decision, under a request id of the loan system's."""
    response = server.post("/v1/score/application", LAOWANG, request_id="laowang-application-1")
    assert response.status_code == 200, response.text[:500]
    return dict(response.json())


def _body(**changes: Any) -> dict[str, Any]:
    return {"application_request_id": "laowang-application-1", "application": LAOWANG, "findings": SEED_FINDINGS,
            **changes}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_the_restaurants_findings_give_the_librarys_second_score_limit_and_rate(
        server: Server, first: dict[str, Any], trained_store: Settings) -> None:
    from riskmodels.decision.diligence import rescore
    from riskmodels.registry.champions import load_champions

    assert first["decision"] == "offer" and first["limit"]["final"] == first["limit"]["pre_approved"] < SEED_REQUEST
    response = server.post("/v1/score/due-diligence", _body(), request_id="laowang-diligence-1")
    assert response.status_code == 200, response.text[:500]
    answer = response.json()
    expected = rescore(LAOWANG, SEED_FINDINGS, load_champions(trained_store), "laowang-application-1",
                       request_id="laowang-diligence-1")
    assert answer == json.loads(expected.model_dump_json())
    assert answer["decision"] == "approve" and answer["limit"]["final"] == min(answer["limit"]["pre_approved"],
                                                                               SEED_REQUEST)

    from riskmodels.audit import AuditLog

    log = AuditLog(server.audit_db)
    try:
        record = log.get("laowang-diligence-1")
    finally:
        log.close()
    assert record.endpoint == "due-diligence"
    assert (record.score, record.limit_cny, record.rate, record.decision) == (
        answer["second"]["score"], answer["limit"]["final"], answer["rate"], answer["decision"])
    assert record.input_masked["application_request_id"] == "laowang-application-1"
    assert record.input_masked["application"]["owner_phone"] != LAOWANG["owner_phone"]
    assert record.input_masked["findings"]["owner_assessment"] == SEED_FINDINGS["owner_assessment"]


def test_an_unknown_request_id_is_404_naming_it(server: Server, first: dict[str, Any]) -> None:
    before = server.audited()
    body = problem(server.post("/v1/score/due-diligence", _body(application_request_id="never-scored")), 404)
    assert body["errors"] == [{"field": "application_request_id", "got": "never-scored",
                               "rule": "must name an audited application decision (its X-Request-ID)"}]
    assert server.audited() == before


@pytest.mark.parametrize(("changes", "fields"), [
    ({"requested_amount": 500_000.0}, ["application.requested_amount"]),
    ({"inflow_m01": 240_000.0, "pb_lenders": 0}, ["application.inflow_m01", "application.pb_lenders"]),
    ({"owner_phone": "13900000000"}, ["application.owner_id_number", "application.owner_phone"]),
])
def test_another_application_under_the_request_id_is_409_naming_what_differs(
        server: Server, first: dict[str, Any], changes: dict[str, Any], fields: list[str]) -> None:
    before = server.audited()
    body = problem(server.post("/v1/score/due-diligence", _body(application={**LAOWANG, **changes})), 409)
    assert [e["field"] for e in body["errors"]] == fields
    assert "not the one audited under 'laowang-application-1'" in body["detail"]
    assert server.audited() == before


def test_a_diligence_answer_cannot_be_rescored_as_an_application(server: Server, first: dict[str, Any]) -> None:
    done = server.post("/v1/score/due-diligence", _body(), request_id="laowang-diligence-2")
    assert done.status_code == 200, done.text[:500]
    body = problem(server.post("/v1/score/due-diligence", _body(application_request_id="laowang-diligence-2")), 409)
    assert body["errors"][0]["field"] == "application_request_id"
    assert "due-diligence answer" in body["errors"][0]["rule"]


@pytest.mark.parametrize(("findings", "field", "rule"), [
    ({**SEED_FINDINGS, "owner_assessment": 7}, "findings.owner_assessment", "must be between 1 and 5 (score)"),
    ({**SEED_FINDINGS, "water_bill_monthly": -5.0}, "findings.water_bill_monthly", "must be between 0 and"),
    ({k: v for k, v in SEED_FINDINGS.items() if k != "site_verified"}, "findings.site_verified", "is required"),
    ({**SEED_FINDINGS, "visit_date": "2025-01-01"}, "findings.visit_date",
     "must be on or after the application date (2025-01-15)"),
])
def test_a_finding_outside_its_contract_is_422_naming_it_and_the_rule(
        server: Server, first: dict[str, Any], findings: dict[str, Any], field: str, rule: str) -> None:
    before = server.audited()
    body = problem(server.post("/v1/score/due-diligence", _body(findings=findings)), 422)
    assert any(e["field"] == field and e["rule"].startswith(rule) for e in body["errors"]), body["errors"]
    assert server.audited() == before


def test_a_batch_answers_each_row_or_refuses_it_at_its_index(server: Server, first: dict[str, Any]) -> None:
    before = server.audited()
    rows = [_body(), _body(application_request_id="never-scored"), _body(findings={**SEED_FINDINGS,
                                                                                  "owner_assessment": 0}),
            _body(application={**LAOWANG, "requested_amount": 1.0})]
    response = server.post("/v1/score/due-diligence/batch", rows, request_id="dd-batch-1")
    assert response.status_code == 200, response.text[:500]
    batch = response.json()
    assert (batch["scored"], batch["refused"]) == (1, 3)
    assert batch["results"][0]["index"] == 0 and batch["results"][0]["answer"]["request_id"] == "dd-batch-1:0"
    refused = {e["index"]: [item["field"] for item in e["errors"]] for e in batch["errors"]}
    assert refused == {1: ["application_request_id"], 2: ["findings.owner_assessment"],
                       3: ["application.requested_amount"]}
    assert server.audited() == before + 1
