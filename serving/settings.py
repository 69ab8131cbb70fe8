"""The service's own settings, beside the library's (``riskmodels.config.Settings``): read from
the environment with the same ``RISKMODELS_`` prefix, once, when the service starts.

``RISKMODELS_REQUEST_DEADLINE``: seconds a ``/v1`` request may take before the service answers
504 (``serving.deadline``). BentoML's own timeout (``serving.BENTOML_TIMEOUT``) stays the outer
bound: ours must end at least ``DEADLINE_MARGIN`` seconds before it, so that the answer is ours
(problem+json, with the request id), never BentoML's.

``RISKMODELS_WORKERS``: worker processes (``riskmodels serve --workers``). One Python process
scores on one core (the GIL), so throughput grows with workers up to the cores; each worker
loads the models once, and a reload reaches them all (``serving.generation``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from serving import BENTOML_TIMEOUT, SERVICE_CONFIG

DEADLINE_MARGIN = 1.0  # seconds: room for our 504 to be written before BentoML's timer runs out
DEFAULT_DEADLINE = BENTOML_TIMEOUT - 5.0


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RISKMODELS_", extra="ignore")

    request_deadline: float = Field(
        default=DEFAULT_DEADLINE, gt=0, description="Seconds a /v1 request may take before it is answered 504 "
        f"(RISKMODELS_REQUEST_DEADLINE); at most {BENTOML_TIMEOUT - DEADLINE_MARGIN:g}, under BentoML's own timeout")

    workers: int = Field(default=1, ge=1, le=64, description="Worker processes (RISKMODELS_WORKERS): one per "
                         "core serves the most; each loads the models once")

    @field_validator("request_deadline")
    @classmethod
    def _under_bentoml(cls, value: float) -> float:
        most = BENTOML_TIMEOUT - DEADLINE_MARGIN
        if value > most:
            raise ValueError(f"RISKMODELS_REQUEST_DEADLINE must be at most {most:g} seconds ({DEADLINE_MARGIN:g} s "
                             f"under BentoML's own timeout of {BENTOML_TIMEOUT:g} s, the outer bound); got {value:g}")
        return value


def bentoml_config(settings: ServiceSettings | None = None) -> dict[str, Any]:
    """BentoML's settings of the service: ``SERVICE_CONFIG`` with the configured workers."""
    return {**SERVICE_CONFIG, "workers": (settings or ServiceSettings()).workers}
