"""Several workers (``RISKMODELS_WORKERS``): each takes requests from the one port, and a reload
that lands on one of them reaches all (``serving.generation``).

Without the shared generation, the worker that did not get ``POST /v1/admin/reload`` would go
on deciding with the old champion: about half the answers after the reload would name it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
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


def _a_card_versions(base: str, n: int) -> list[str]:
    """The A card's version named by ``n`` decisions, each on a new connection (so the
    workers share them out)."""
    versions = []
    for _ in range(n):
        with httpx.Client(base_url=base, timeout=60) as client:  # a new connection each time
            answer = client.post("/v1/score/application", json=BODY, headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code == 200, answer.text
        versions += [m["version"] for m in answer.json()["models"] if m["name"] == REGISTERED_MODELS["application"]]
    return versions


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

    before = {pid: cpu_seconds([pid]) for pid in workers}
    versions = _a_card_versions(two_workers, REQUESTS)
    busy = [pid for pid in workers if cpu_seconds([pid]) - before[pid] > 0.05]
    assert busy == workers  # both workers answered some of them
    assert versions == [str(new.version)] * REQUESTS
