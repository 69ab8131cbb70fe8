"""Load the champion of each registered model into one ``ModelBundle``.

The service calls this at start-up and on reload, batch scoring and ``riskmodels decide`` call
it once: the same models, the same ``decide()``, the same answers.
"""

from __future__ import annotations

import logging
from typing import Any

from riskmodels.config import REGISTERED_MODELS, Settings, get_settings

log = logging.getLogger(__name__)

REQUIRED = ("application", "fraud")


class ChampionsUnavailable(Exception):
    """A required champion is missing, or its spec does not fit this code."""


def _champion_spec(kind: str) -> tuple[dict[str, Any], Any]:
    from mlflow.exceptions import MlflowException

    from riskmodels import registry

    name = REGISTERED_MODELS[kind]
    try:
        return registry.load_spec(name, registry.CHAMPION)
    except MlflowException as exc:
        raise ChampionsUnavailable(f"no champion of {name} in the registry ({exc.error_code})") from exc


def load_champions(settings: Settings | None = None) -> Any:
    """The champion application scorecard and fraud model with the policy, as a ``ModelBundle``."""
    from riskmodels import registry
    from riskmodels.decision import ModelBundle
    from riskmodels.models.specs import GBMScorer, ScorecardScorer, scorer_from_spec
    from riskmodels.policy import load_policy, with_class_pds

    settings = settings or get_settings()
    registry.configure(settings)
    loaded = {}
    for kind in REQUIRED:
        spec, version = _champion_spec(kind)
        try:
            loaded[kind] = (scorer_from_spec(spec), version)
        except (KeyError, ValueError, TypeError) as exc:
            raise ChampionsUnavailable(
                f"{version.name} v{version.version} has a spec this code cannot load: {exc}") from exc
    application, fraud = loaded["application"][0], loaded["fraud"][0]
    if not isinstance(application, ScorecardScorer) or not isinstance(fraud, GBMScorer):
        raise ChampionsUnavailable("champions must be a scorecard (application) and a fraud model")
    policy = load_policy(settings.policy_path)
    policy = with_class_pds(policy, {b.name: b.pd for b in application.bands.bands if b.pd is not None})
    versions = {v.name: v.version for _, v in loaded.values()}
    log.info("loaded champions %s", versions)
    return ModelBundle(scorecard=application.scorecard, fraud=fraud.model, policy=policy,
                       versions=versions, runs={v.name: v.run_id for _, v in loaded.values()})
