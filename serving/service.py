"""The scoring service: one BentoML service, ``serving.service:ScoringService``.

``@bentoml.asgi_app`` mounts the versioned API (``serving.routes``, under ``/v1``) and our spec
and docs page (``serving.docs``, ahead of BentoML's own), and keeps what BentoML gives:
``/livez``, ``/readyz`` (``__is_ready__``), ``/metrics``, its worker and logging config. The
state and the work are ``serving.scoring.Scoring``'s; this class only ties them to BentoML's
life cycle: built once per worker at start-up, closed at shutdown.
"""

from __future__ import annotations

import logging

import bentoml

from riskmodels.config import Settings, apply_offline_environment
from riskmodels.contract.privacy import PiiLogFilter
from serving.api import v1
from serving.docs import docs
from serving.scoring import Scoring
from serving.settings import bentoml_config


def _mask_logs() -> None:
    # Filters on handlers see every record that reaches them, including propagated ones.
    pii = PiiLogFilter()
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    for handler in {h for lg in loggers for h in lg.handlers}:
        if not any(isinstance(f, PiiLogFilter) for f in handler.filters):
            handler.addFilter(pii)


@bentoml.service(name="riskmodels-scoring", **bentoml_config())
@bentoml.asgi_app(docs, path="/")
@bentoml.asgi_app(v1, path="/v1")
class ScoringService(Scoring):
    """Credit decisions for small and micro business loans (小微企业贷款): fraud score, credit
    score, risk class, limit, rate and decision with reasons. Every route under ``/v1`` needs
    ``Authorization: Bearer <key>``; ``/livez``, ``/readyz`` and ``/metrics`` are open."""

    def __init__(self) -> None:
        apply_offline_environment()
        _mask_logs()
        super().__init__(Settings())

    def __is_ready__(self) -> bool:
        return self.is_ready()

    @bentoml.on_shutdown
    def shutdown(self) -> None:
        self.close()
