"""Start and stop a real server on 127.0.0.1 through ``riskmodels serve``, for the end-to-end
tests and the serving benchmark.

``riskmodels serve`` runs in its own process group and stops everything it started (BentoML's
arbiter and its worker, which sits in a session of its own) when it gets SIGTERM, so stopping it
stops exactly what was started here and nothing else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from riskmodels.cli.serve import SERVICE, server_environment

HOST = "127.0.0.1"
# The project root: the server runs there, as `make serve` runs it.
ROOT = Path(__file__).resolve().parent.parent


def serve_command(port: int, service: str = SERVICE) -> list[str]:
    """``riskmodels serve`` of ``service`` on ``port``, from this interpreter."""
    return [sys.executable, "-m", "riskmodels.cli", "serve", "--port", str(port), "--service", service]


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float, ok: frozenset[int]) -> int:
    """Poll ``url`` until it answers a status in ``ok``; the last status, or raise on timeout."""
    deadline, status = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before {url} answered")
        try:
            status = httpx.get(url, timeout=1.0).status_code
        except httpx.TransportError:
            status = -1  # not listening yet
        if status in ok:
            return status
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer {sorted(ok)} within {timeout:.0f} s (last: {status})")


def stop(proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers (``riskmodels serve``
    then dies, and its arbiter gets SIGTERM from the kernel)."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)


def server_pids(base: str) -> list[int]:
    """The processes listening on the port of ``base`` (BentoML's arbiter and its worker)."""
    import psutil

    port = int(base.rsplit(":", 1)[1])
    return sorted({c.pid for c in psutil.net_connections(kind="tcp")
                   if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid})


def worker_pids(base: str) -> list[int]:
    """The worker processes of the server at ``base``: the children of its arbiter (the
    ``bentoml serve`` process), however many ``RISKMODELS_WORKERS`` asked for."""
    import psutil

    for pid in server_pids(base):
        for process in (psutil.Process(pid), psutil.Process(pid).parent()):
            if process is not None and "bentoml" in process.cmdline()[1:3] and "serve" in process.cmdline():
                return sorted(child.pid for child in process.children())
    raise LookupError(f"no bentoml arbiter listens at {base}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by ``pids``."""
    import psutil

    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


@contextmanager
def running(env: dict[str, str], port: int | None = None, target: str | None = None,
            log_file: Path | None = None, wait_path: str = "/livez", timeout: float = 90.0,
            ) -> Iterator[str]:
    """A server on 127.0.0.1 for the duration of the block; yields its base URL.

    ``wait_path`` is polled until it answers 200 (``/livez``: started; ``/readyz``: models in).
    """
    port = port or free_port()
    # Each server gets stores of its own unless the test names them: the link store refuses a
    # second pseudonym key, and one test's applications must not count in another's links.
    stores = Path(tempfile.mkdtemp(prefix="riskmodels-stores-"))
    env = {"RISKMODELS_LINK_STORE_URL": f"sqlite:///{stores / 'links.sqlite'}",
           "RISKMODELS_LOAN_STORE_URL": f"sqlite:///{stores / 'loans.sqlite'}", **env}
    command = serve_command(port, target or SERVICE)
    out = open(log_file, "wb") if log_file else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(command, cwd=ROOT, env=server_environment(env), stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://{HOST}:{port}"
    try:
        wait_for(base + wait_path, proc, timeout, frozenset({200}))
        yield base
    finally:
        stop(proc)
        if log_file:
            out.close()  # type: ignore[union-attr]
