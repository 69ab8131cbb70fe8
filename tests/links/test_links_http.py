"""The service decides on the platform's own links and lists, end to end: a real server on
127.0.0.1, its link store an SQLite file of this test, the session's champions.

Applications that share a phone get ``phone_shared_count`` from the store even when the caller
sends 0; a listed phone is knocked out even when the caller sends ``blacklist_hit: false``;
a repeat under an Idempotency-Key is not recorded twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from riskmodels.config import Settings
from riskmodels.links import IdentifierKind, LinkStore, ListKind
from serving.schemas import ApplicationRequest
from tests._server import running

pytestmark = pytest.mark.e2e

KEY = "links-e2e-pseudonym-key-0123456789abcdef0123"
AUTH = {"Authorization": "Bearer links-e2e-key", "Content-Type": "application/json"}
REFERENCE = json.loads((Path(__file__).resolve().parents[2] / "data" / "reference" / "laowang.json").read_text("utf-8"))
SHARED_PHONE, LISTED_PHONE = "17012345678", "17087654321"
OWNERS = ["110101199001010011", "310104198502020022", "440106197703030033", "330106198804040044",
          "320102199206060066", "420106198707070077"]


def body(owner: str, phone: str, **extra: Any) -> dict[str, Any]:
    # A fresh phone and a new address, as a ring member's: where a shared phone weighs most.
    return {**REFERENCE, "owner_id_number": owner, "owner_phone": phone, "phone_tenure_months": 2,
            "address_stability_months": 2, "phone_shared_count": 0, "applications_7d": 0, "applications_30d": 0,
            "blacklist_hit": False, **extra}


@pytest.fixture(scope="module")
def served(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    tmp = tmp_path_factory.mktemp("links-e2e")
    url = f"sqlite:///{tmp / 'links.sqlite'}"
    env = {"RISKMODELS_HOME": str(trained_store.home), "RISKMODELS_API_KEYS": "links-e2e-key",
           "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite"), "RISKMODELS_PSEUDONYM_KEY": KEY,
           "RISKMODELS_LINK_STORE_URL": url}
    with running(env, wait_path="/readyz", log_file=tmp / "server.log", timeout=180.0) as base, \
            httpx.Client(base_url=base, timeout=60.0) as client:
        yield client, url


def test_the_service_decides_on_the_store_links_and_lists(served: tuple[httpx.Client, str], trained_store: Settings) -> None:
    from riskmodels.decision import decide
    from riskmodels.registry.champions import load_champions

    client, url = served
    bundle = load_champions(trained_store)
    store = LinkStore.open(url, KEY.encode())
    try:
        store.lists.add(ListKind.COURT, IdentifierKind.PHONE, LISTED_PHONE, source="(2024)京01执123号",
                        added_by="e2e", reason="court listing")
        answers = []
        for owner in OWNERS:
            response = client.post("/v1/score/application", content=json.dumps(body(owner, SHARED_PHONE)), headers=AUTH)
            assert response.status_code == 200, response.text
            answers.append(response.json())
        # Each one decided on the number of earlier owners of the phone, not on the 0 sent.
        for shared, (owner, answer) in enumerate(zip(OWNERS, answers, strict=True)):
            sent = ApplicationRequest.model_validate(body(owner, SHARED_PHONE)).model_dump(mode="json")
            expected = decide({**sent, "phone_shared_count": shared}, bundle).model_dump(mode="json")
            assert answer["fraud"] == expected["fraud"] and answer["decision"] == expected["decision"], shared
        # The store's count mattered: some answer is not the one the 0 sent would have got.
        as_sent = [decide(ApplicationRequest.model_validate(body(o, SHARED_PHONE)).model_dump(mode="json"), bundle)
                   for o in OWNERS]
        assert [a["fraud"]["probability"] for a in answers] != [d.fraud.probability for d in as_sent]
        assert store.count() == len(OWNERS)

        # The counts may be left out altogether; a repeat under an Idempotency-Key is not recorded again.
        bare = {k: v for k, v in body("510107199105050055", SHARED_PHONE).items()
                if k not in ("phone_shared_count", "applications_7d", "applications_30d", "blacklist_hit")}
        headers = {**AUTH, "Idempotency-Key": "links-e2e-once"}
        first = client.post("/v1/score/application", content=json.dumps(bare), headers=headers)
        repeat = client.post("/v1/score/application", content=json.dumps(bare), headers=headers)
        assert first.status_code == repeat.status_code == 200, first.text
        assert repeat.headers["Idempotent-Replayed"] == "true" and store.count() == len(OWNERS) + 1

        listed = client.post("/v1/score/application", content=json.dumps(body(OWNERS[0], LISTED_PHONE)), headers=AUTH)
        assert listed.status_code == 200, listed.text
        assert listed.json()["decision"] == "reject"
        assert "KO_BLACKLIST" in [rule["id"] for rule in listed.json()["rules"]]
    finally:
        store.close()
