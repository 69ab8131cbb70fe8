"""The scoring service (BentoML) and how to start it: ``serve()`` backs ``riskmodels serve``.

Importing this package imports neither BentoML nor the models; ``serving.service`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from riskmodels.config import apply_offline_environment

SERVICE = "serving.service:ScoringService"
# BentoML settings of the service (the benchmark's echo service uses the same): one worker
# process (models loaded once, and a reload reaches every request), loopback only, port 3000,
# no access log (a line per request is noise and cost; the audit log records decisions).
SERVICE_CONFIG: dict[str, Any] = {
    "workers": 1,
    "traffic": {"timeout": 30},
    "http": {"host": "127.0.0.1", "port": 3000},
    "logging": {"access": {"enabled": False}},
}
# The project root: the working directory BentoML imports ``serving.service`` from.
ROOT = Path(__file__).resolve().parent.parent


def server_command(port: int = 3000, host: str = "127.0.0.1") -> list[str]:
    """The ``bentoml serve`` command line for the service (tests and benchmarks share it)."""
    return [sys.executable, "-m", "bentoml", "serve", SERVICE, "--host", host, "--port", str(port),
            "--working-dir", str(ROOT)]


# One OpenMP thread for LightGBM: a request scores one row (a batch, at most 500), far too
# little to share out, and on a busy machine waking a team of OpenMP threads per request cost
# more than the prediction (p50 of /v1/score/application 20 -> 15 ms under load; see
# benchmarks/serving.py). An operator's own setting wins.
SERVER_THREADS = {"OMP_NUM_THREADS": "1"}


def server_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment with telemetry off and one OpenMP thread, plus ``extra``
    (e.g. RISKMODELS_* settings)."""
    apply_offline_environment()
    return {**SERVER_THREADS, **os.environ, **(extra or {})}


def serve(port: int = 3000, host: str = "127.0.0.1") -> int:
    """Run the service in the foreground until interrupted; return the server's exit code.

    Binds 127.0.0.1 unless told otherwise: exposing the API is a deployment decision (a
    reverse proxy with TLS in front), never a default.
    """
    if not 0 < port < 65536:
        raise ValueError(f"port must be between 1 and 65535; got {port}")
    completed = subprocess.run(server_command(port, host), cwd=ROOT, env=server_environment(), check=False)
    return completed.returncode
