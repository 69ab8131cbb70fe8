"""The scoring service (BentoML): ``serving.service:ScoringService``.

An application built on the library: ``riskmodels serve`` starts it by that import string, and
nothing in ``riskmodels`` imports this package. Importing it imports neither BentoML nor the
models; ``serving.service`` does.
"""

from __future__ import annotations

from typing import Any

# BentoML's own bound on a request, in seconds: the outer one. Past it BentoML cancels the
# request and answers a 504 of its own (plain JSON, no request id), so the service's deadline
# (``serving.settings``, ``RISKMODELS_REQUEST_DEADLINE``) is set to end before it and answer first.
BENTOML_TIMEOUT = 30.0

# BentoML settings of the service (the benchmark's echo service uses the same): one worker
# process unless RISKMODELS_WORKERS says more (``serving.settings.bentoml_config``), loopback
# only, port 3000, no access log (a line per request is noise and cost; the audit log records
# decisions).
SERVICE_CONFIG: dict[str, Any] = {
    "workers": 1,
    "traffic": {"timeout": BENTOML_TIMEOUT},
    "http": {"host": "127.0.0.1", "port": 3000},
    "logging": {"access": {"enabled": False}},
}
