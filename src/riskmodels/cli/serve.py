"""``riskmodels serve``: the scoring service, started by its import string.

The library never imports the service (``serving`` is an application built on it): BentoML
imports ``serving.service`` in its own process. ``serve`` replaces this process with
``bentoml serve`` (exec), so a supervisor's SIGTERM reaches the server itself and nothing is
left running after it.
"""

from __future__ import annotations

import os
import sys
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


def server_command(port: int = 3000, host: str = HOST, service: str = SERVICE) -> list[str]:
    """The ``bentoml serve`` command line of the service (tests and benchmarks share it)."""
    return [sys.executable, "-m", "bentoml", "serve", service, "--host", host, "--port", str(port)]


def server_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment with telemetry off and one OpenMP thread, plus ``extra``
    (e.g. RISKMODELS_* settings)."""
    apply_offline_environment()
    return {**SERVER_THREADS, **os.environ, **(extra or {})}


def serve(port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 3000) -> None:
    """Start the scoring service (BentoML) on 127.0.0.1, in the foreground.

    Binds 127.0.0.1: exposing the API is a deployment decision (a reverse proxy with TLS in
    front), never a default.
    """
    if not 0 < port < 65536:
        raise fail(f"--port must be between 1 and 65535; got {port}")
    command = server_command(port)
    os.execve(command[0], command, server_environment())
