"""``riskmodels serve``: the scoring service, started by its import string, and stopped whole.

The library never imports the service (``serving`` is an application built on it): BentoML
imports ``serving.service`` in its own process.

Why ``serve`` stays as a small parent instead of exec-ing ``bentoml serve``. BentoML's arbiter
(circus) starts its worker with ``setsid``: the worker, which holds the port and the models, is
in a session of its own. A signal to the arbiter's process group never reaches it, and if the
arbiter dies without stopping it (killed, crashed, or a supervisor's SIGKILL after a timeout),
the worker lives on, orphaned, answering with the old models on the old port. So ``serve``

- starts the arbiter as its child, in its own session, set to get SIGTERM if ``serve`` dies
  (Linux ``PR_SET_PDEATHSIG``);
- forwards SIGTERM, SIGINT and SIGQUIT to it (SIGHUP as SIGTERM: circus would take a hang-up
  for "reload"), and waits for it to stop its worker and exit;
- is a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``): a worker orphaned by its arbiter
  becomes ``serve``'s child, and ``serve`` stops it (SIGTERM, then SIGKILL after a grace
  period) before exiting.

Nothing it started outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from riskmodels.cli._common import fail
from riskmodels.config import apply_offline_environment

SERVICE = "serving.service:ScoringService"
HOST = "127.0.0.1"
# One OpenMP thread for LightGBM: a request scores one row (a batch, at most 500), far too
# little to share out, and on a busy machine waking a team of OpenMP threads per request cost
# more than the prediction (p50 of /v1/score/application 20 -> 15 ms under load; see
# benchmarks/serving.py). An operator's own setting wins.
SERVER_THREADS = {"OMP_NUM_THREADS": "1"}
MAX_WORKERS = 64  # serving.settings.ServiceSettings.workers's bound
# How long an orphaned worker gets to stop after SIGTERM before SIGKILL.
GRACE_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
# SIGHUP stops the server as a hang-up stops any foreground command.
_FORWARDED = {signal.SIGTERM: signal.SIGTERM, signal.SIGINT: signal.SIGINT, signal.SIGQUIT: signal.SIGQUIT,
              signal.SIGHUP: signal.SIGTERM}


def server_command(port: int = 3000, host: str = HOST, service: str = SERVICE) -> list[str]:
    """The ``bentoml serve`` command line of the service (tests and benchmarks share it)."""
    return [sys.executable, "-m", "bentoml", "serve", service, "--host", host, "--port", str(port)]


def server_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment with telemetry off and one OpenMP thread, plus ``extra``
    (e.g. RISKMODELS_* settings)."""
    apply_offline_environment()
    return {**SERVER_THREADS, **os.environ, **(extra or {})}


def _prctl(option: int, value: int) -> bool:
    """Linux ``prctl``; False where there is none (the guarantees above then rest on the
    arbiter stopping its worker)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(option, value, 0, 0, 0)) == 0


def _die_with(parent: int) -> Callable[[], None]:
    def arrange() -> None:  # runs in the child between fork and exec
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above: follow it now
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange


def _children() -> list[int]:
    """This process's live children (orphans it adopted as a subreaper included)."""
    me, found = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):  # a process that ended while we read
            text = stat.read_text()
            fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
            if int(fields[1]) == me and fields[0] != "Z":
                found.append(int(stat.parent.name))
    return found


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def stop_orphans(grace: float = GRACE_SECONDS) -> list[int]:
    """Stop every child left (a worker whose arbiter died): SIGTERM to each (and to its process
    group when it leads one, as circus's workers do), SIGKILL after ``grace`` seconds; the pids
    found."""
    _reap()
    orphans = _children() if sys.platform.startswith("linux") else []
    for pid in orphans:
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGTERM)
            else:
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while orphans and _children() and time.monotonic() < deadline:
        time.sleep(0.1)
        _reap()
    for pid in _children() if orphans else []:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap()
    return orphans


def supervise(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` (the server) as described in the module docstring; its exit code
    (128 + the signal's number when a signal ended it)."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    server: subprocess.Popen[bytes] | None = None
    early: list[signal.Signals] = []  # signals that came before the server was started

    def forward(signum: int, frame: FrameType | None) -> None:
        sig = _FORWARDED[signal.Signals(signum)]
        if server is None:
            early.append(sig)
        elif server.poll() is None:
            server.send_signal(sig)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        server = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with(os.getpid()))
        for sig in early:
            server.send_signal(sig)
        code = server.wait()
    finally:
        if server is not None and server.poll() is None:  # leaving on an error of our own
            server.terminate()
            try:
                server.wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        stop_orphans()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def serve(port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 3000,
          workers: Annotated[int | None, typer.Option(
              help="Worker processes, one per core for the most throughput (default: RISKMODELS_WORKERS, else 1).")
          ] = None,
          service: Annotated[str, typer.Option(hidden=True, help="The BentoML service's import string.")] = SERVICE,
          ) -> None:
    """Start the scoring service (BentoML) on 127.0.0.1, in the foreground; SIGTERM or Ctrl-C
    stops it and everything it started.

    Binds 127.0.0.1: exposing the API is a deployment decision (a reverse proxy with TLS in
    front), never a default.
    """
    if not 0 < port < 65536:
        raise fail(f"--port must be between 1 and 65535; got {port}")
    if workers is not None and not 0 < workers <= MAX_WORKERS:
        raise fail(f"--workers must be between 1 and {MAX_WORKERS}; got {workers}")
    extra = {} if workers is None else {"RISKMODELS_WORKERS": str(workers)}
    raise typer.Exit(supervise(server_command(port, HOST, service), server_environment(extra)))
