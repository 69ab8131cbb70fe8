"""``riskmodels serve``'s life cycle, as an operator and a supervisor see it: started as a
process, stopped by a signal to that process only, nothing it started left behind; and
``/readyz`` false until it can really score.

BentoML's worker runs in a session of its own (circus ``setsid``): before ``serve`` supervised
it, a worker whose arbiter was killed lived on, holding the port and the old models.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest

from riskmodels.config import Settings
from tests._server import HOST, ROOT, free_port, serve_command, server_environment, stop, wait_for

pytestmark = pytest.mark.e2e

KEY = "lifecycle-key"
START_TIMEOUT = 180.0


@contextmanager
def serve(home: Path, tmp: Path, keys: str = KEY) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``riskmodels serve`` as a supervisor starts it, and its base URL once ``/livez`` answers
    (start-up done: the models are loaded, or their absence logged). The test signals its one
    pid; ``stop`` cleans up after a failed test."""
    port = free_port()
    env = server_environment({"RISKMODELS_HOME": str(home), "RISKMODELS_API_KEYS": keys,
                              "RISKMODELS_AUDIT_DB": str(tmp / "audit.sqlite")})
    with open(tmp / "server.log", "wb") as log:
        proc = subprocess.Popen(serve_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            base = f"http://{HOST}:{port}"
            wait_for(base + "/livez", proc, START_TIMEOUT, frozenset({200}))
            yield proc, base
        finally:
            stop(proc)


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def listening(base: str) -> list[int]:
    port = int(base.rsplit(":", 1)[1])
    return [c.pid or -1 for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port]


def gone_within(processes: list[psutil.Process], base: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(processes) and not listening(base):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def empty_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def test_sigterm_to_serve_stops_the_server_and_its_worker(empty_home: Path, tmp_path: Path) -> None:
    with serve(empty_home, tmp_path) as (proc, base):
        started = descendants(proc.pid)
        assert len(started) >= 2, started  # BentoML's arbiter and its worker
        os.kill(proc.pid, signal.SIGTERM)  # the one pid a supervisor knows
        assert proc.wait(60) == 0
        assert gone_within(started, base, 20.0), (alive(started), listening(base))


def test_a_worker_whose_arbiter_is_killed_does_not_live_on(empty_home: Path, tmp_path: Path) -> None:
    with serve(empty_home, tmp_path) as (proc, base):
        started = descendants(proc.pid)
        (arbiter,) = psutil.Process(proc.pid).children()
        workers = arbiter.children()
        assert workers and all(w.pid == os.getpgid(w.pid) for w in workers)  # each in a group of its own
        arbiter.kill()  # no chance to stop its worker
        assert proc.wait(60) == 128 + signal.SIGKILL
        assert gone_within(started, base, 20.0), (alive(started), listening(base))


def test_when_serve_itself_is_killed_its_server_stops_too(empty_home: Path, tmp_path: Path) -> None:
    with serve(empty_home, tmp_path) as (proc, base):
        started = descendants(proc.pid)
        proc.kill()  # serve gets no chance to forward anything: the kernel tells the arbiter
        proc.wait(60)
        assert gone_within(started, base, 30.0), (alive(started), listening(base))


def test_readyz_is_false_without_keys_even_with_the_champions_loaded(trained_store: Settings,
                                                                    tmp_path: Path) -> None:
    from serving.guard import NO_KEYS

    with serve(trained_store.home, tmp_path, keys="") as (_, base):
        assert httpx.get(base + "/readyz").status_code == 503
        refused = httpx.post(base + "/v1/score/application", json={}, headers={"Authorization": f"Bearer {KEY}"})
        assert refused.status_code == 503 and refused.json()["type"] == "urn:riskmodels:problem:no-keys"
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")
    assert NO_KEYS in log and "not ready:" not in log  # keys missing; the champions were there
