"""What the service tells about its models: the listing of ``GET /v1/models``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskmodels.config import CHAMPION, REGISTERED_MODELS
from serving.schemas import ModelInfo

if TYPE_CHECKING:
    from riskmodels.decision import AccountModels, ModelBundle


def describe_bundle(bundle: ModelBundle) -> tuple[ModelInfo, ...]:
    """One entry per model of the bundle: registered name, version, alias, run and metrics.

    The metrics are read from the registry once, here (start-up or reload), never per request.
    """
    from riskmodels import registry

    by_name = {name: str(kind) for kind, name in REGISTERED_MODELS.items()}
    infos = []
    for name, version in sorted(bundle.versions.items()):
        registered = registry.describe(name, str(version))
        infos.append(ModelInfo(kind=by_name.get(name, name), name=name, version=str(version), alias=CHAMPION,
                               run_id=bundle.runs.get(name) or registered.run_id,
                               metrics=dict(registered.metrics)))
    return tuple(infos)


def describe_accounts(accounts: AccountModels) -> tuple[ModelInfo, ...]:
    """The B and C champions that are served, in the same form."""
    return tuple(ModelInfo(kind=str(m.kind), name=m.name, version=m.version, alias=CHAMPION, run_id=m.run_id,
                           metrics=dict(m.metrics)) for m in accounts.models.values())
