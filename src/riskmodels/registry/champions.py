"""Load the champions: the application scorecard and fraud model into one ``ModelBundle``
(``load_champions``), and the B and C cards into ``AccountModels`` (``load_account_models``).

The service calls these at start-up and on reload, batch scoring and ``riskmodels decide`` call
``load_champions`` once: the same models, the same ``decide()``, the same answers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskmodels.config import ACCOUNT_KINDS, DECISION_KINDS, REGISTERED_MODELS, ModelKind, Settings, get_settings

if TYPE_CHECKING:
    from riskmodels.decision import AccountModel, AccountModels
    from riskmodels.registry.store import RegisteredVersion

log = logging.getLogger(__name__)

REQUIRED = DECISION_KINDS  # an application decision needs both


class ChampionsUnavailable(Exception):
    """A required champion is missing, or its spec does not fit this code."""


class AccountChampionUnavailable(LookupError):
    """A B or C champion is missing, or does not fit this code: that card is not served."""


def _champion_spec(name: str) -> tuple[dict[str, Any], RegisteredVersion]:
    """The champion's spec, or ``registry.ModelNotFound`` (a ``LookupError``) saying why not."""
    from riskmodels import registry

    return registry.load_spec(name, registry.CHAMPION)


def load_champions(settings: Settings | None = None, *, application_model: str | None = None,
                   policy_path: Path | None = None) -> Any:
    """The champion application scorecard and fraud model with the policy, as a ``ModelBundle``.

    ``application_model``: another A-card version instead of the champion (``NAME@alias`` or
    ``NAME:VERSION`` of the application scorecard); ``policy_path``: another lending policy
    file instead of the settings' (the strategy lab replays both against each other)."""
    from riskmodels import registry
    from riskmodels.decision import ModelBundle
    from riskmodels.models.specs import GBMScorer, ScorecardScorer, scorer_from_spec
    from riskmodels.policy import load_policy, with_master_scale_pds

    settings = settings or get_settings()
    registry.configure(settings)
    loaded = {}
    chosen = {}
    if application_model is not None:
        ref = registry.parse_model_ref(application_model)
        if ref.name != REGISTERED_MODELS[ModelKind.APPLICATION]:
            raise ValueError(f"model must be a version of {REGISTERED_MODELS[ModelKind.APPLICATION]}; "
                             f"got {application_model!r}")
        chosen[ModelKind.APPLICATION] = ref.version_or_alias
    for kind in REQUIRED:
        name = REGISTERED_MODELS[kind]
        wanted = chosen.get(kind, registry.CHAMPION)
        try:
            spec, version = registry.load_spec(name, wanted)
        except registry.ModelNotFound as exc:
            what = f"champion of {name}" if wanted == registry.CHAMPION else registry.model_ref(name, wanted)
            raise ChampionsUnavailable(f"no {what} in the registry ({exc.reason or exc})") from exc
        try:
            loaded[kind] = (scorer_from_spec(spec), version)
        except (KeyError, ValueError, TypeError) as exc:
            raise ChampionsUnavailable(
                f"{version.name} v{version.version} has a spec this code cannot load: {exc}") from exc
    application, fraud = loaded[ModelKind.APPLICATION][0], loaded[ModelKind.FRAUD][0]
    if not isinstance(application, ScorecardScorer) or not isinstance(fraud, GBMScorer):
        raise ChampionsUnavailable("champions must be a scorecard (application) and a fraud model")
    policy = load_policy(policy_path or settings.policy_path)
    # Class PDs from the master scale, through the champion's calibrated line (computed once here).
    card = application.scorecard
    policy = with_master_scale_pds(policy, lambda points: float(card.pd_from_points(points)), card.scale.max_score)
    versions = {v.name: v.version for _, v in loaded.values()}
    log.info("loaded champions %s", versions)
    return ModelBundle(scorecard=application.scorecard, fraud=fraud.model, policy=policy,
                       versions=versions, runs={v.name: v.run_id for _, v in loaded.values()})


def load_account_model(kind: ModelKind) -> AccountModel:
    """The champion B or C card of ``kind``; ``AccountChampionUnavailable`` says why not."""
    from riskmodels import registry
    from riskmodels.decision.accounts import INPUT_TABLES, AccountModel
    from riskmodels.decision.reasons import uncatalogued
    from riskmodels.models.specs import ScorecardScorer, scorer_from_spec

    if kind not in INPUT_TABLES:
        raise ValueError(f"kind must be one of {[str(k) for k in INPUT_TABLES]}; got {kind!r}")
    name = REGISTERED_MODELS[kind]
    try:
        spec, version = _champion_spec(name)
    except registry.ModelNotFound as exc:
        raise AccountChampionUnavailable(f"no `champion` of {name} in the registry ({exc.reason or exc})") from exc
    where = f"{name} v{version.version}"
    if spec.get("input_table") != INPUT_TABLES[kind]:
        raise AccountChampionUnavailable(f"{where} must read {INPUT_TABLES[kind]}; got {spec.get('input_table')!r}")
    try:
        scorer = scorer_from_spec(spec)
    except (KeyError, ValueError, TypeError) as exc:
        raise AccountChampionUnavailable(f"{where} has a spec this code cannot load: {exc}") from exc
    if not isinstance(scorer, ScorecardScorer):
        raise AccountChampionUnavailable(f"{where} must be a scorecard; got {spec.get('model_type')!r}")
    unknown = uncatalogued(scorer.scorecard.features, kind)
    if unknown:
        raise AccountChampionUnavailable(f"{where} has characteristics without a reason text: {unknown}")
    return AccountModel(kind, scorer, name, version.version, version.run_id, dict(version.metrics))


def load_account_models(settings: Settings | None = None) -> AccountModels:
    """Each post-loan champion that is registered and loads; the reason for each that does not.

    Neither is required: a card that is not served is reported, never raised (its route says
    why when asked)."""
    from riskmodels import registry
    from riskmodels.decision import AccountModels
    from riskmodels.policy.post_loan import load_post_loan_policy

    registry.configure(settings or get_settings())
    models: dict[ModelKind, AccountModel] = {}
    problems: dict[ModelKind, str] = {}
    for kind in ACCOUNT_KINDS:
        try:
            models[kind] = load_account_model(kind)
        except AccountChampionUnavailable as exc:
            problems[kind] = str(exc)
            log.info("%s scorecard not served: %s", kind, exc)
    return AccountModels(models, problems, load_post_loan_policy() if models else None)
