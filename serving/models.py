"""What the service tells about its models: the listing of ``GET /v1/models`` and the 503s of
the models that are not deployed yet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi import HTTPException

from riskmodels.config import REGISTERED_MODELS
from serving.schemas import ModelInfo

if TYPE_CHECKING:
    from riskmodels.decision import ModelBundle

CHAMPION = "champion"


def describe_bundle(bundle: ModelBundle) -> tuple[ModelInfo, ...]:
    """One entry per model of the bundle: registered name, version, alias, run and metrics.

    The metrics are read from the registry once, here (start-up or reload), never per request.
    """
    from riskmodels import tracking

    by_name = {name: kind for kind, name in REGISTERED_MODELS.items()}
    infos = []
    for name, version in sorted(bundle.versions.items()):
        registered = tracking.describe(name, str(version))
        infos.append(ModelInfo(kind=by_name.get(name, name), name=name, version=str(version), alias=CHAMPION,
                               run_id=bundle.runs.get(name) or registered.run_id,
                               metrics=dict(registered.metrics)))
    return tuple(infos)


def not_deployed(kind: Literal["behavior", "collection"]) -> HTTPException:
    """The 503 of a model kind that has no champion yet: an honest "no", never a made-up score."""
    name = REGISTERED_MODELS[kind]
    return HTTPException(503, f"the {kind} scorecard is not deployed: no `{CHAMPION}` of {name} "
                              "is served yet; nothing was scored")
