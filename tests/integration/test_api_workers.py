"""Several workers (``RISKMODELS_WORKERS``): each takes requests from the one port, and a reload
that lands on one of them reaches all (``serving.generation``).

Without the shared generation, the worker that did not get ``POST /v1/admin/reload`` would go
on deciding with the old champion: about half the answers after the reload would name it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from riskmodels.config import CHAMPION, REGISTERED_MODELS, Settings
from tests._server import cpu_seconds, running, worker_pids

pytestmark = pytest.mark.e2e

KEY, ADMIN_KEY = "workers-key", "workers-admin-key"
PSEUDONYM_KEY = "workers-pseudonym-key-0123456789abcdef0123456789ab"
BODY = json.loads((Path(__file__).resolve().parents[2] / "data" / "reference" / "laowang.json").read_text("utf-8"))
REQUESTS = 40
MOST = 400  # decisions sent at most before both workers must have answered


@pytest.fixture(scope="module")
def home(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's registry: this test registers a new champion in it."""
    home = tmp_path_factory.mktemp("workers-home")
    (home / "mlruns").mkdir()
    with sqlite3.connect(trained_store.mlruns_dir / "mlflow.db") as source, \
            sqlite3.connect(home / "mlruns" / "mlflow.db") as copy:
        source.backup(copy)  # artefacts stay where the session's store wrote them (read only)
    return home


@pytest.fixture(scope="module")
def two_workers(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("workers")
    env = {"RISKMODELS_HOME": str(home), "RISKMODELS_API_KEYS": KEY, "RISKMODELS_ADMIN_KEYS": ADMIN_KEY,
           "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite"), "RISKMODELS_PSEUDONYM_KEY": PSEUDONYM_KEY,
           "RISKMODELS_WORKERS": "2"}
    with running(env, wait_path="/readyz", log_file=tmp / "server.log", timeout=240) as base:
        yield base


def _a_card_versions(base: str, n: int, concurrency: int = 1) -> list[str]:
    """The A card's version named by ``n`` decisions, each on a new connection (no keep-alive),
    ``concurrency`` at a time: a worker busy with one leaves the next to the other."""
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base, timeout=60, limits=limits) as client, \
            ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda _: client.post(
            "/v1/score/application", json=BODY, headers={"Authorization": f"Bearer {KEY}"}), range(n)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:1]
    return [m["version"] for a in answers for m in a.json()["models"] if m["name"] == REGISTERED_MODELS["application"]]


def test_a_reload_on_one_worker_reaches_every_worker(two_workers: str, home: Path) -> None:
    from mlflow import MlflowClient

    workers = worker_pids(two_workers)
    assert len(workers) == 2
    name = REGISTERED_MODELS["application"]
    uri = f"sqlite:///{home / 'mlruns' / 'mlflow.db'}"
    client = MlflowClient(uri, registry_uri=uri)  # both explicit: never the session's store
    old = client.get_model_version_by_alias(name, CHAMPION)
    assert set(_a_card_versions(two_workers, 4)) == {str(old.version)}

    # The same model registered again, made champion: only its version number is new.
    new = client.create_model_version(name, source=old.source, run_id=old.run_id)
    client.set_registered_model_alias(name, CHAMPION, new.version)
    reloaded = httpx.post(f"{two_workers}/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                          timeout=120)
    assert reloaded.status_code == 200, reloaded.text

    # Decisions 8 at a time until both workers have answered some (each one's CPU time grows
    # only when it answers): every one must name the new version.
    before = {pid: cpu_seconds([pid]) for pid in workers}
    versions: list[str] = []
    while len(versions) < MOST and any(cpu_seconds([pid]) - before[pid] < 0.05 for pid in workers):
        versions += _a_card_versions(two_workers, REQUESTS, concurrency=8)
    assert all(cpu_seconds([pid]) - before[pid] >= 0.05 for pid in workers)  # both answered
    assert versions == [str(new.version)] * len(versions)
