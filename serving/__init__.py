"""The scoring service (BentoML): ``serving.service:ScoringService``.

An application built on the library: ``riskmodels serve`` starts it by that import string, and
nothing in ``riskmodels`` imports this package. Importing it imports neither BentoML nor the
models; ``serving.service`` does.
"""

from __future__ import annotations

from typing import Any

# BentoML settings of the service (the benchmark's echo service uses the same): one worker
# process (models loaded once, and a reload reaches every request), loopback only, port 3000,
# no access log (a line per request is noise and cost; the audit log records decisions).
SERVICE_CONFIG: dict[str, Any] = {
    "workers": 1,
    "traffic": {"timeout": 30},
    "http": {"host": "127.0.0.1", "port": 3000},
    "logging": {"access": {"enabled": False}},
}
