"""The service's own deadline over real HTTP (``serving.deadline``): a request past it is
answered 504 as a problem with its request id, before BentoML's own timeout; the decision it
was making is still made and audited once, and a retry with the same Idempotency-Key gets it.

The server runs with a short deadline: half a second, far above the time a repeat of a full
batch takes to be answered from its Idempotency-Key (60 ms measured on two shared cores). A
full batch takes about as long to score (0.45 s measured), so the test makes the late request
late for sure, as a real one gets late: the audit database is busy (another process holds its
write lock, as a backup or ``riskmodels audit purge`` would), and the decision waits to be
audited until that lock is let go, after the 504.
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from riskmodels.config import Settings
from serving import BENTOML_TIMEOUT
from serving.schemas import MAX_BATCH
from serving.settings import DEFAULT_DEADLINE, ServiceSettings
from tests._server import running

pytestmark = pytest.mark.e2e

KEY = "deadline-scoring-key"
DEADLINE = 0.5  # seconds: RISKMODELS_REQUEST_DEADLINE of the server under test
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
REFERENCES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(REFERENCE_DIR.glob("*.json"))]
BATCH_PATH = "/v1/score/application/batch"


@dataclass(frozen=True)
class Served:
    client: httpx.Client
    audit_db: Path
    base: str


@pytest.fixture(scope="module")
def served(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("deadline")
    env = {"RISKMODELS_HOME": str(trained_store.home), "RISKMODELS_API_KEYS": KEY,
           "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite"), "RISKMODELS_REQUEST_DEADLINE": str(DEADLINE),
           "RISKMODELS_PSEUDONYM_KEY": "deadline-pseudonym-key-0123456789abcdef0123456789"}
    with running(env, wait_path="/readyz", log_file=tmp / "server.log", timeout=180.0) as base, \
            httpx.Client(base_url=base, timeout=BENTOML_TIMEOUT + 10) as client:
        yield Served(client, tmp / "audit.sqlite", base)


def _post(served: Served, body: Any, request_id: str, idempotency_key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}", "X-Request-ID": request_id,
               **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
    return served.client.post(BATCH_PATH, json=body, headers=headers)


def _audited(served: Served, prefix: str) -> list[str]:
    """The request ids of the audit records whose id starts with ``prefix``."""
    with sqlite3.connect(served.audit_db) as conn:
        rows = conn.execute("SELECT request_id FROM decisions WHERE request_id LIKE ?", (prefix + "%",)).fetchall()
    return sorted(r[0] for r in rows)


def _wait_for_records(served: Served, prefix: str, count: int, seconds: float = 120.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = _audited(served, prefix)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"{count} audit records under {prefix!r} expected within {seconds:g} s; got {len(found)}")


@contextmanager
def audit_busy(served: Served) -> Iterator[None]:
    """The audit database's write lock held by this process for the duration of the block: the
    server's decisions wait (its busy timeout is 5 s) to be audited until it is let go."""
    conn = sqlite3.connect(served.audit_db, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def _problem_504(response: httpx.Response, request_id: str) -> dict[str, Any]:
    assert response.status_code == 504, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["X-Request-ID"] == request_id
    body: dict[str, Any] = response.json()
    assert body["request_id"] == request_id and body["status"] == 504
    assert body["type"] == "urn:riskmodels:problem:deadline" and body["instance"] == BATCH_PATH
    assert body["title"] and f"{DEADLINE:g} s" in body["detail"]
    return body


def test_the_default_deadline_ends_before_bentoml_s_own_timeout() -> None:
    assert 0 < DEFAULT_DEADLINE < BENTOML_TIMEOUT
    assert ServiceSettings().request_deadline == DEFAULT_DEADLINE
    with pytest.raises(ValueError, match="must be at most 29 seconds"):
        ServiceSettings(request_deadline=BENTOML_TIMEOUT)


def test_a_batch_past_the_deadline_is_a_504_problem_and_its_decision_is_audited_once(served: Served) -> None:
    rows = [REFERENCES[i % len(REFERENCES)] for i in range(MAX_BATCH)]
    with audit_busy(served):
        started = time.monotonic()
        late = _post(served, rows, "late-batch", idempotency_key="retry-me")
        elapsed = time.monotonic() - started
        _problem_504(late, "late-batch")
        assert "audited under this request id" in late.json()["detail"]
        assert DEADLINE <= elapsed < DEADLINE + 2.0  # at our deadline, long before BentoML's
        assert _audited(served, "late-batch") == []
    # The work went on after the 504: every row decided and audited, under the first request's id.
    ids = _wait_for_records(served, "late-batch:", MAX_BATCH)
    assert ids == sorted(f"late-batch:{i}" for i in range(MAX_BATCH))
    # A retry with the same key gets that decision, not a second one.
    replayed = _replayed(served, rows, "retry-me", "retry")
    assert replayed["request_id"] == "late-batch" and replayed["scored"] == MAX_BATCH and replayed["refused"] == 0
    assert [r["answer"]["request_id"] for r in replayed["results"]] == [f"late-batch:{i}" for i in range(MAX_BATCH)]
    assert _audited(served, "retry-") == [] and len(_audited(served, "late-batch:")) == MAX_BATCH


def _replayed(served: Served, rows: list[Any], key: str, prefix: str) -> dict[str, Any]:
    """The stored answer of ``key``, asked again. A repeat is answered well within the deadline
    (60 ms for a full batch); one slowed past it would be a 504 whose work recalls the same
    answer, so a few tries are allowed."""
    for attempt in range(5):
        again = _post(served, rows, f"{prefix}-{attempt}", idempotency_key=key)
        if again.status_code != 504:
            break
        time.sleep(0.5)
    assert again.status_code == 200, again.text[:500]
    assert again.headers["Idempotent-Replayed"] == "true"
    body: dict[str, Any] = again.json()
    assert again.headers["X-Request-ID"] == body["request_id"]
    return body


def test_a_retry_sent_while_the_late_work_goes_on_does_not_decide_twice(served: Served) -> None:
    rows = [REFERENCES[i % len(REFERENCES)] for i in range(MAX_BATCH)]
    with audit_busy(served):  # both requests are late, and both their works wait to be audited
        _problem_504(_post(served, rows, "race-1", idempotency_key="race"), "race-1")
        _problem_504(_post(served, rows, "race-2", idempotency_key="race"), "race-2")
    first = _replayed(served, rows, "race", "race-again")["request_id"]
    assert first in ("race-1", "race-2")
    time.sleep(1.0)  # the other work, refused by the key's store, has ended too
    assert _audited(served, "race") == sorted(f"{first}:{i}" for i in range(MAX_BATCH))


def test_the_connection_stays_usable_after_a_504(served: Served) -> None:
    rows = [REFERENCES[i % len(REFERENCES)] for i in range(MAX_BATCH)]
    with audit_busy(served):
        _problem_504(_post(served, rows, "late-keepalive"), "late-keepalive")
        # The same client (keep-alive connection) is answered at once, while that work waits.
        models = served.client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        assert models.status_code == 200 and models.json()["models"]
    assert len(_wait_for_records(served, "late-keepalive:", MAX_BATCH)) == MAX_BATCH


def test_a_body_not_received_by_the_deadline_is_a_504_and_nothing_is_scored(served: Served) -> None:
    body = json.dumps([REFERENCES[0]]).encode("utf-8")
    host, port = served.base.removeprefix("http://").rsplit(":", 1)
    head = (f"POST {BATCH_PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nX-Request-ID: slow-client\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=BENTOML_TIMEOUT) as sock:
        sock.sendall(head.encode("ascii") + body[: len(body) // 2])  # the rest never comes
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < _length(reply):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head_text, _, payload = reply.partition(b"\r\n\r\n")
    lines = head_text.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert lines[0].split(" ")[1] == "504" and headers["content-type"] == "application/problem+json"
    problem = json.loads(payload)
    assert problem["request_id"] == headers["x-request-id"] == "slow-client"
    assert problem["type"] == "urn:riskmodels:problem:deadline" and "nothing was scored" in problem["detail"]
    time.sleep(1.0)
    assert _audited(served, "slow-client") == []


def _length(reply: bytes) -> int:
    found = re.search(rb"(?i)content-length:\s*(\d+)", reply.partition(b"\r\n\r\n")[0])
    return int(found.group(1)) if found else 0
