"""The scoring service end to end: a real ``bentoml serve`` on 127.0.0.1, real HTTP, the
session's trained MLflow store, the audit database on disk.

Answers are checked against the library run in this process on the same champions (``decide``,
``decide_frame``, the scorers of the registered specs): online and batch must agree.
"""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

from riskmodels.config import ACCOUNT_KINDS, CHAMPION, REGISTERED_MODELS, Settings
from serving.schemas import MAX_BATCH, ApplicationRequest, BehaviorRequest, CollectionRequest
from tests._server import running

pytestmark = pytest.mark.e2e

KEYS = ("e2e-key-one", "e2e-key-two")
ADMIN_KEY = "e2e-admin-key"
PSEUDONYM_KEY = "e2e-pseudonym-key-0123456789abcdef0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEYS[0]}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
# The bodies the loan system is given (the service's own examples are checked against them in
# test_api_schemas.py).
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
REFERENCES = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(REFERENCE_DIR.glob("*.json"))}
START_TIMEOUT = 180.0  # two shared cores: a cold start with MLflow imports can take a while


@dataclass(frozen=True)
class Server:
    client: httpx.Client
    audit_db: Path
    log: Path
    home: Path  # RISKMODELS_HOME: its mlruns/ holds the registry the server loads from


def _start(home: Path, tmp: Path, wait_path: str) -> Iterator[Server]:
    env = {"RISKMODELS_HOME": str(home), "RISKMODELS_API_KEYS": ",".join(KEYS), "RISKMODELS_ADMIN_KEYS": ADMIN_KEY,
           "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite"), "RISKMODELS_PSEUDONYM_KEY": PSEUDONYM_KEY}
    log = tmp / "server.log"
    # ``running`` stops the server's whole process group on exit, whatever the tests did.
    with running(env, wait_path=wait_path, log_file=log, timeout=START_TIMEOUT) as base, \
            httpx.Client(base_url=base, timeout=60.0) as client:
        yield Server(client, tmp / "audit.sqlite", log, home)


@pytest.fixture(scope="module")
def server(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _start(trained_store.home, tmp_path_factory.mktemp("e2e-server"), "/readyz")


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("empty-home")
    yield from _start(home, tmp_path_factory.mktemp("e2e-empty"), "/livez")


@pytest.fixture(scope="module")
def bundle(trained_store: Settings) -> Any:
    from riskmodels.registry.champions import load_champions

    return load_champions(trained_store)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value.item() if isinstance(value, np.generic) else value


def bodies(frame: pd.DataFrame, model: type[BaseModel]) -> list[dict[str, Any]]:
    """Contract rows as the loan system would send them: the request's fields, JSON values."""
    names = [n for n in model.model_fields if n in frame.columns]
    return [{k: _plain(v) for k, v in row.items()} for row in frame[names].to_dict(orient="records")]


def post(server: Server, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    # Encoded here, not by httpx: the standard library writes NaN and Infinity, as a careless
    # client would, where httpx refuses them.
    return server.client.post(path, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                              headers={"Content-Type": "application/json", **(AUTH if headers is None else headers)})


def audit_count(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])


def without_request_id(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "request_id"}


def answers(batch: httpx.Response) -> list[dict[str, Any]]:
    """The answers of a batch every row of which was scored, in the order sent."""
    assert batch.status_code == 200, batch.text[:500]
    body = batch.json()
    assert body["refused"] == 0 and [r["index"] for r in body["results"]] == list(range(body["scored"])), body
    return [r["answer"] for r in body["results"]]


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem details of an error answer (RFC 9457), with the request id of its header."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["request_id"] == response.headers["X-Request-ID"]
    assert {"type", "title", "detail", "instance"} <= set(body)
    return body


# -- ready, models, reference customers ---------------------------------------------------
def test_health_is_open_and_the_models_list_their_registered_versions(server: Server, trained_store: Settings) -> None:
    from riskmodels import registry

    assert server.client.get("/readyz").status_code == 200
    assert server.client.get("/livez").status_code == 200
    assert server.client.get("/metrics").status_code == 200
    docs = server.client.get("/docs.json").json()  # BentoML's OpenAPI page, with the mounted API
    assert {"/v1/score/application", "/v1/score/behavior/batch", "/v1/models", "/v1/admin/reload"} <= set(docs["paths"])
    route = docs["paths"]["/v1/score/application"]["post"]
    # The service instance is injected, never asked of the caller: the only parameters are headers.
    assert {(p["name"], p["in"]) for p in route["parameters"]} == {("X-Request-ID", "header"),
                                                                   ("Idempotency-Key", "header")}
    assert "laowang" in route["requestBody"]["content"]["application/json"]["examples"]
    listing = server.client.get("/v1/models", headers=AUTH).json()
    assert listing["ready"] is True and listing["problem"] is None
    served = {m["name"]: m for m in listing["models"]}
    for kind in ("application", "fraud"):
        name = REGISTERED_MODELS[kind]
        champion = registry.describe(name, registry.CHAMPION)
        assert served[name]["version"] == champion.version and served[name]["alias"] == "champion"
        assert served[name]["run_id"] == champion.run_id
        assert served[name]["metrics"]["oot_auc"] == pytest.approx(champion.metrics["oot_auc"])


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_customers_get_the_library_answer(server: Server, bundle: Any, name: str) -> None:
    from riskmodels.decision import decide

    body = REFERENCES[name]
    expected = decide(ApplicationRequest.model_validate(body).model_dump(mode="json"), bundle).model_dump(mode="json")
    response = post(server, "/v1/score/application", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert response.headers["X-Request-ID"] == answer["request_id"]
    assert without_request_id(answer) == without_request_id(expected)
    assert {m["name"] for m in answer["models"]} >= {REGISTERED_MODELS["application"], REGISTERED_MODELS["fraud"]}

    fraud = post(server, "/v1/score/fraud", body)
    assert fraud.status_code == 200, fraud.text
    assert fraud.json()["fraud"] == expected["fraud"] and fraud.json()["models"] == expected["models"]


def test_batch_of_the_reference_customers_equals_their_single_answers(server: Server) -> None:
    names = sorted(REFERENCES)
    batch = answers(post(server, "/v1/score/application/batch", [REFERENCES[n] for n in names]))
    singles = [post(server, "/v1/score/application", REFERENCES[n]).json() for n in names]
    assert [without_request_id(a) for a in batch] == [without_request_id(a) for a in singles]
    fraud = answers(post(server, "/v1/score/fraud/batch", [REFERENCES[n] for n in names]))
    assert [a["fraud"] for a in fraud] == [a["fraud"] for a in singles]


def test_online_answers_equal_batch_scoring_row_for_row(server: Server, bundle: Any, portfolio_dir: Path) -> None:
    from riskmodels.decision import decide_frame

    rows = pd.read_parquet(portfolio_dir / "applications.parquet").iloc[:240:4]
    expected = decide_frame(rows, bundle)
    batch = answers(post(server, "/v1/score/application/batch", bodies(rows, ApplicationRequest)))
    singles = [post(server, "/v1/score/application", b).json() for b in bodies(rows.head(5), ApplicationRequest)]
    for got in (batch, singles):
        n = len(got)
        assert [a["application_id"] for a in got] == expected["application_id"].head(n).tolist()
        assert [a["decision"] for a in got] == expected["decision"].head(n).tolist()
        assert [a["credit"]["risk_class"] for a in got] == expected["risk_class"].head(n).tolist()
        assert [a["limit"]["final"] for a in got] == expected["final_limit"].head(n).tolist()
        assert [[r["code"] for r in a["reasons"]] for a in got] == expected["reason_codes"].head(n).tolist()
        assert [a["rate"] for a in got] == [None if pd.isna(r) else r for r in expected["rate"].head(n)]
        np.testing.assert_allclose([a["credit"]["score"] for a in got], expected["score"].head(n), rtol=0, atol=1e-9)
        np.testing.assert_allclose([a["fraud"]["probability"] for a in got], expected["fraud_probability"].head(n),
                                   rtol=0, atol=1e-12)


def test_the_docs_page_renders_in_a_browser_with_nothing_from_another_host(server: Server, tmp_path: Path) -> None:
    # The page's Content-Security-Policy lets the browser load nothing from elsewhere: Swagger UI
    # must still render every route with what the service itself serves.
    from tests._browser import require_chromium

    page = server.client.get("/docs")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    quiet = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}")
    done = subprocess.run([require_chromium(), *quiet, "--virtual-time-budget=15000", "--dump-dom",
                           str(server.client.base_url.join("/docs"))], capture_output=True, text=True, timeout=120,
                          check=True)
    rendered = done.stdout
    assert "riskmodels scoring API" in rendered, done.stderr[-2000:]
    for path in ("/v1/score/application", "/v1/score/collection/batch", "/v1/admin/reload", "/readyz"):
        assert f'data-path="{path}"' in rendered, path


# -- keys ---------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-key"}, {"Authorization": f"Basic {KEYS[0]}"},
                                     {"Authorization": "Bearer"}])
def test_scoring_without_a_valid_key_is_401_and_tells_nothing(server: Server, headers: dict[str, str]) -> None:
    before = audit_count(server.audit_db)
    for path, body in (("/v1/score/application", REFERENCES["laowang"]), ("/v1/score/behavior", {}),
                       ("/v1/admin/reload", None)):
        response = post(server, path, body, headers=headers)
        assert problem(response, 401)["detail"] == "missing or invalid API key", path
        assert "sme-" not in response.text
    assert server.client.get("/v1/models", headers=headers).status_code == 401
    assert audit_count(server.audit_db) == before


def test_every_configured_key_is_accepted(server: Server) -> None:
    response = post(server, "/v1/score/application", REFERENCES["laowang"],
                    headers={"Authorization": f"Bearer {KEYS[1]}"})
    assert response.status_code == 200


def test_the_scoring_key_cannot_reload_and_the_admin_key_cannot_score(server: Server) -> None:
    before = audit_count(server.audit_db)
    assert problem(post(server, "/v1/admin/reload", None), 403)["type"].endswith(":wrong-key-kind")
    assert problem(post(server, "/v1/score/application", REFERENCES["laowang"], headers=ADMIN), 403)
    assert audit_count(server.audit_db) == before


# -- bad input ----------------------------------------------------------------------------
def _changed(**changes: Any) -> dict[str, Any]:
    return {**REFERENCES["laowang"], **changes}


def _missing(field: str) -> dict[str, Any]:
    body = dict(REFERENCES["laowang"])
    del body[field]
    return body


@pytest.mark.parametrize(("body", "field", "rule"), [
    (_missing("owner_age"), "owner_age", "is required"),
    (_changed(owner_age="46"), "owner_age", "must be a number, not str"),
    (_changed(blacklist_hit="no"), "blacklist_hit", "must be true or false"),
    (_changed(owner_age=150), "owner_age", "must be between 18 and 90 (years)"),
    (_changed(favourite_colour="red"), "favourite_colour", "is not a field of the contract"),
    (_changed(requested_amount=math.nan), "requested_amount", "must be a finite number (NaN and infinity are refused)"),
    (_changed(requested_amount=math.inf), "requested_amount", "must be a finite number (NaN and infinity are refused)"),
    (_changed(industry="fishing"), "industry", "must be one of"),
    ([REFERENCES["laowang"]] * (MAX_BATCH + 1), "body", f"must have at most {MAX_BATCH} rows per request"),
])
def test_bad_input_is_a_4xx_naming_the_field_and_nothing_is_scored(server: Server, body: Any, field: str,
                                                                   rule: str) -> None:
    path = "/v1/score/application/batch" if isinstance(body, list) else "/v1/score/application"
    before = audit_count(server.audit_db)
    response = post(server, path, body)
    items = problem(response, 422)["errors"]
    assert any(i["field"] == field and i["rule"].startswith(rule) for i in items), items
    assert audit_count(server.audit_db) == before


def test_a_bad_row_of_a_batch_is_refused_and_the_others_are_scored(server: Server) -> None:
    before = audit_count(server.audit_db)
    batch = post(server, "/v1/score/application/batch", [REFERENCES["laowang"], _changed(owner_age=15)])
    assert batch.status_code == 200, batch.text[:500]
    body = batch.json()
    assert (body["scored"], body["refused"], [r["index"] for r in body["results"]]) == (1, 1, [0])
    assert body["errors"] == [{"index": 1, "errors": [{"field": "owner_age", "got": 15,
                                                       "rule": "must be between 18 and 90 (years)"}]}]
    assert audit_count(server.audit_db) == before + 1


def test_oversize_and_non_json_bodies_are_refused_before_scoring(server: Server) -> None:
    huge = server.client.post("/v1/score/application", headers={**AUTH, "Content-Type": "application/json"},
                              content=b'{"business_name": "' + b"x" * 70_000 + b'"}')
    assert "body larger than" in problem(huge, 413)["detail"]
    broken = server.client.post("/v1/score/application", headers={**AUTH, "Content-Type": "application/json"},
                                content=b'{"owner_age": ')
    assert problem(broken, 400)["errors"][0]["field"] == "body"


# -- audit --------------------------------------------------------------------------------
def test_each_answer_is_audited_without_raw_id_or_phone_numbers(server: Server) -> None:
    from riskmodels.audit import AuditLog, input_digest
    from riskmodels.contract.privacy import mask_id_number, mask_phone

    answers = {}
    for name, body in REFERENCES.items():
        response = post(server, "/v1/score/application", body)
        answers[name] = response.json()
    log = AuditLog(server.audit_db)
    try:
        for name, answer in answers.items():
            record = log.get(answer["request_id"])
            sent = ApplicationRequest.model_validate(REFERENCES[name]).model_dump(mode="json")
            assert record.endpoint == "application"
            assert record.input_hmac == input_digest(sent, PSEUDONYM_KEY.encode("utf-8"))
            assert record.models == {m["name"]: m["version"] for m in answer["models"]}
            assert (record.score, record.risk_class, record.decision) == (
                answer["credit"]["score"], answer["credit"]["risk_class"], answer["decision"])
            assert record.limit_cny == answer["limit"]["final"] and record.rate == answer["rate"]
            assert record.reason_codes == [r["code"] for r in answer["reasons"]]
            assert record.input_masked["owner_id_number"] == mask_id_number(REFERENCES[name]["owner_id_number"])
            assert record.input_masked["owner_phone"] == mask_phone(REFERENCES[name]["owner_phone"])
    finally:
        log.close()
    # Nowhere on disk: not in the database, its write-ahead log, nor the server's own log.
    files = [*server.audit_db.parent.glob(server.audit_db.name + "*"), server.log]
    text = b"".join(f.read_bytes() for f in files)
    for body in REFERENCES.values():
        for field in ("owner_id_number", "owner_phone"):
            assert body[field].encode() not in text, field


def test_audit_show_replays_a_served_decision(server: Server, trained_store: Settings) -> None:
    import os

    answer = post(server, "/v1/score/application", REFERENCES["shendu"]).json()
    done = subprocess.run([sys.executable, "-m", "riskmodels.cli", "audit", "show", answer["request_id"]],
                          env={**os.environ, "RISKMODELS_AUDIT_DB": str(server.audit_db), "RISKMODELS_PSEUDONYM_KEY": PSEUDONYM_KEY},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "today's models answer the same" in done.stdout
    assert REFERENCES["shendu"]["owner_id_number"] not in done.stdout


# -- B and C cards, reload ----------------------------------------------------------------
@pytest.fixture(scope="module")
def accounts(portfolio_dir: Path) -> dict[str, pd.DataFrame]:
    return {"behavior": pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet").iloc[:400:10],
            "collection": pd.read_parquet(portfolio_dir / "collection_cases.parquet").iloc[:400:10]}


@pytest.fixture(scope="module")
def no_account_cards(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a copy of the session's registry with no B or C champion, whatever other
    tests registered: the "which champion is missing" answer never depends on test order."""
    from mlflow import MlflowClient

    home = tmp_path_factory.mktemp("no-account-cards")
    (home / "mlruns").mkdir()
    source = sqlite3.connect(trained_store.mlruns_dir / "mlflow.db")
    copy = sqlite3.connect(home / "mlruns" / "mlflow.db")
    with source, copy:
        source.backup(copy)  # artefacts stay where the session's store wrote them (read only)
    source.close()
    copy.close()
    uri = f"sqlite:///{home / 'mlruns' / 'mlflow.db'}"
    client = MlflowClient(uri, registry_uri=uri)  # both explicit: never the session's store
    aliases = {m.name: m.aliases for m in client.search_registered_models()}
    for kind in ACCOUNT_KINDS:
        if CHAMPION in aliases.get(REGISTERED_MODELS[kind], {}):
            client.delete_registered_model_alias(REGISTERED_MODELS[kind], CHAMPION)
    yield from _start(home, tmp_path_factory.mktemp("e2e-no-account-cards"), "/readyz")


def test_post_loan_routes_say_which_champion_is_missing(no_account_cards: Server,
                                                        accounts: dict[str, pd.DataFrame]) -> None:
    server = no_account_cards
    for kind, model in (("behavior", BehaviorRequest), ("collection", CollectionRequest)):
        body = bodies(accounts[kind].head(1), model)[0]
        detail = problem(post(server, f"/v1/score/{kind}", body), 503)["detail"]
        assert REGISTERED_MODELS[kind] in detail and "nothing was scored" in detail
        problem(post(server, f"/v1/score/{kind}/batch", [body]), 503)
    listing = server.client.get("/v1/models", headers=AUTH).json()
    assert set(listing["not_deployed"]) == {"behavior", "collection"}


def _reload(server: Server) -> httpx.Response:
    return post(server, "/v1/admin/reload", None, headers=ADMIN)


def test_reload_serves_new_champions_and_a_failed_reload_keeps_all_the_old(
        server: Server, post_loan_store: Settings, accounts: dict[str, pd.DataFrame]) -> None:
    from riskmodels import registry
    from riskmodels.models.specs import scorer_from_spec
    from riskmodels.policy.post_loan import behavior_actions, load_post_loan_policy

    reloaded = _reload(server)
    assert reloaded.status_code == 200, reloaded.text
    assert reloaded.json()["reloaded"] is True and reloaded.json()["not_deployed"] == {}
    served = {m["name"]: m["version"] for m in reloaded.json()["models"]}
    for kind, model in (("behavior", BehaviorRequest), ("collection", CollectionRequest)):
        name = REGISTERED_MODELS[kind]
        spec, version = registry.load_spec(name, registry.CHAMPION)
        assert served[name] == version.version
        rows = accounts[kind]
        expected = scorer_from_spec(spec).score_frame(rows)
        got = answers(post(server, f"/v1/score/{kind}/batch", bodies(rows, model)))
        single = post(server, f"/v1/score/{kind}", bodies(rows.head(1), model)[0])
        assert single.status_code == 200, single.text
        assert without_request_id(single.json()) == {**without_request_id(got[0]),
                                                     **({"priority": 1} if kind == "collection" else {})}
        np.testing.assert_allclose([a["score"] for a in got], expected["score"], rtol=0, atol=1e-9)
        assert all(a["models"] == [{"name": name, "version": version.version}] for a in got)
        assert all(len(a["reasons"]) <= 4 and all(r["contribution"] < 0 for r in a["reasons"]) for a in got)
        if kind == "behavior":
            actions = behavior_actions(rows, expected["score"].to_numpy(), load_post_loan_policy())
            assert [a["risk_class"] for a in got] == actions["risk_class"].tolist()
            assert [a["action"] for a in got] == actions["action"].tolist()
            assert [a["new_limit"] for a in got] == actions["new_limit"].tolist()
        else:
            np.testing.assert_allclose([a["cure_probability"] for a in got], 1 - expected["pd"], rtol=0, atol=1e-12)
            assert sorted(a["priority"] for a in got) == list(range(1, len(got) + 1))

    # A reload that would drop a working card (the B card's alias gone), or lose a required one
    # (the fraud model's), keeps every model in use: the A card, the fraud model, B and C alike.
    before = {kind: post(server, f"/v1/score/{kind}", body).json() for kind, body in (
        ("application", REFERENCES["laowang"]), ("behavior", bodies(accounts["behavior"].head(1), BehaviorRequest)[0]))}
    for kind in ("behavior", "fraud"):
        name = REGISTERED_MODELS[kind]
        version = registry.describe(name, registry.CHAMPION).version
        registry.configure().delete_registered_model_alias(name, registry.CHAMPION)
        try:
            failed = problem(_reload(server), 503)
        finally:
            registry.set_alias(name, registry.CHAMPION, version)
        assert failed["type"].endswith(":reload-failed") and failed["reloaded"] is False
        assert "previous models kept" in failed["detail"] and name in failed["detail"]
        assert set(failed["failures"]) == {"behavior" if kind == "behavior" else "application"}
        assert {m["name"]: m["version"] for m in failed["models"]} == served
        assert server.client.get("/readyz").status_code == 200
        listing = server.client.get("/v1/models", headers=AUTH).json()
        assert {m["name"]: m["version"] for m in listing["models"]} == served and listing["not_deployed"] == {}
        for answered, body in (("application", REFERENCES["laowang"]),
                               ("behavior", bodies(accounts["behavior"].head(1), BehaviorRequest)[0])):
            after = post(server, f"/v1/score/{answered}", body)
            assert after.status_code == 200, after.text
            assert without_request_id(after.json()) == without_request_id(before[answered])


def _register_broken_copy(uri: str, name: str, tmp: Path) -> tuple[str, str]:
    """A new version of ``name`` in the registry at ``uri``: a copy of its champion whose spec
    loads but scores NaN (one characteristic's points all NaN), made champion. The previous
    champion's version and the new one's."""
    import shutil
    from urllib.parse import urlparse

    from mlflow import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)  # both explicit: never the session's store
    champion = client.get_model_version_by_alias(name, CHAMPION)
    logged = client.get_logged_model(champion.source.removeprefix("models:/"))
    copy = Path(shutil.copytree(urlparse(logged.artifact_location).path, tmp / "broken-model"))
    spec_file = next(copy.rglob("spec.json"))
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    characteristic = spec["model"]["features"][0]
    for bin_ in [*characteristic["bins"], characteristic["missing_bin"]]:
        bin_["points"] = math.nan
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    broken = client.create_model_version(name, source=str(copy), run_id=champion.run_id)
    client.set_registered_model_alias(name, CHAMPION, broken.version)
    return str(champion.version), str(broken.version)


def test_a_reload_whose_new_champion_fails_the_reference_customers_is_refused(
        no_account_cards: Server, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    server, name = no_account_cards, REGISTERED_MODELS["application"]
    uri = f"sqlite:///{server.home / 'mlruns' / 'mlflow.db'}"  # the server's copy of the registry
    before = post(server, "/v1/score/application", REFERENCES["shendu"]).json()
    served = {m["name"]: m["version"] for m in server.client.get("/v1/models", headers=AUTH).json()["models"]}
    old, new = _register_broken_copy(uri, name, tmp_path)
    try:
        refused = problem(_reload(server), 409)
    finally:
        MlflowClient(uri, registry_uri=uri).set_registered_model_alias(name, CHAMPION, old)
    assert new != old
    assert refused["type"].endswith(":reload-refused") and refused["reloaded"] is False
    assert set(refused["failures"]) == {f"application: {n}" for n in REFERENCES}
    assert all("credit.score is nan" in why for why in refused["failures"].values())
    assert {m["name"]: m["version"] for m in refused["models"]} == served
    after = post(server, "/v1/score/application", REFERENCES["shendu"]).json()
    assert without_request_id(after) == without_request_id(before)


# -- no models ----------------------------------------------------------------------------
def test_an_empty_store_is_not_ready_and_scores_nothing(empty_server: Server) -> None:
    client = empty_server.client
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 503
    detail = problem(post(empty_server, "/v1/score/application", REFERENCES["laowang"]), 503)["detail"]
    assert "champion" in detail and "nothing was scored" in detail
    for path in ("/v1/score/fraud", "/v1/score/application/batch"):
        body = [REFERENCES["laowang"]] if path.endswith("batch") else REFERENCES["laowang"]
        assert problem(post(empty_server, path, body), 503)["type"].endswith(":not-ready")
    listing = client.get("/v1/models", headers=AUTH).json()
    assert listing["ready"] is False and listing["models"] == [] and "sme-" in listing["problem"]
    reload = problem(post(empty_server, "/v1/admin/reload", None, headers=ADMIN), 503)
    assert reload["reloaded"] is False and reload["models"] == [] and "application" in reload["failures"]
    assert client.get("/readyz").status_code == 503
    # Bad input is still a 422 (validation needs no model), and nothing was audited.
    assert post(empty_server, "/v1/score/application", _changed(owner_age=150)).status_code == 422
    assert audit_count(empty_server.audit_db) == 0
