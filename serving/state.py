"""The models the service answers with: loaded at start-up, swapped whole on reload.

A reload is all or nothing across every card it serves: the application and fraud champions
(required) and the B and C cards (each served once it has a champion). It is refused, and the
models in use stay in use, when

- a required champion cannot be loaded, a card served now would no longer be (its alias gone,
  its spec unreadable), or a card with a champion cannot be served (503, ``reload-failed``);
- the new models fail their sanity check (``serving.sanity``: the reference customers, a
  reference account and case) (409, ``reload-refused``).

To retire a B or C card, remove its champion alias and restart the service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from riskmodels.config import ACCOUNT_KINDS, REGISTERED_MODELS, ModelKind, Settings
from riskmodels.decision import AccountModels, ModelBundle
from serving.models import describe_accounts, describe_bundle
from serving.sanity import check_accounts, check_bundle
from serving.schemas import ModelInfo

log = logging.getLogger("riskmodels.serving")


@dataclass(frozen=True)
class Loaded:
    """The models in use: swapped whole, so a request sees one consistent set."""

    bundle: ModelBundle | None
    models: tuple[ModelInfo, ...] = ()
    problem: str | None = None
    loaded_at: datetime | None = None
    accounts: AccountModels = AccountModels()  # B and C cards: optional, each served once it has a champion

    def report(self) -> dict[str, Any]:
        return {"ready": self.bundle is not None, "problem": self.problem,
                "loaded_at": self.loaded_at, "models": list(self.models),
                "not_deployed": {str(k): v for k, v in self.accounts.problems.items()}}


class ReloadError(Exception):
    """A refused reload: what the answer says (status, kind of problem) and each failure."""

    def __init__(self, status: int, kind: str, detail: str, failures: dict[str, str]) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.failures = status, kind, detail, failures


def _without(accounts: AccountModels, failures: dict[str, str]) -> AccountModels:
    """``accounts`` less the cards that failed their sanity check, each with its reason."""
    failed = {kind for kind in accounts.models if str(kind) in failures}
    if not failed:
        return accounts
    problems = {**accounts.problems, **{k: f"failed its sanity check: {failures[str(k)]}" for k in failed}}
    kept = {k: m for k, m in accounts.models.items() if k not in failed}
    return replace(accounts, models=kept, problems=problems)


def _loaded(bundle: ModelBundle, accounts: AccountModels) -> Loaded:
    models = (*describe_bundle(bundle), *describe_accounts(accounts))
    log.info("loaded %s", ", ".join(f"{m.name} v{m.version}" for m in models))
    return Loaded(bundle, models, None, datetime.now(UTC), accounts)


def load_models(settings: Settings) -> Loaded:
    """The champions at start-up, or the reason they cannot be served (the service then stays
    not ready). A B or C card that fails its sanity check is not served, and says why."""
    from riskmodels.registry.champions import ChampionsUnavailable, load_account_models, load_champions

    try:
        bundle = load_champions(settings)
    except ChampionsUnavailable as exc:
        log.warning("not ready: %s", exc)
        return Loaded(None, problem=f"champion models unavailable: {exc}")
    failures = check_bundle(bundle)
    if failures:
        problem = "the champions fail their sanity check: " + "; ".join(f"{k}: {v}" for k, v in failures.items())
        log.error("not ready: %s", problem)
        return Loaded(None, problem=problem)
    accounts = load_account_models(settings)
    return _loaded(bundle, _without(accounts, check_accounts(accounts)))


def _has_champion(kind: ModelKind) -> bool:
    from riskmodels import registry

    try:
        registry.describe(REGISTERED_MODELS[kind], registry.CHAMPION)
    except registry.ModelNotFound:
        return False
    return True


def reload_models(current: Loaded, settings: Settings) -> Loaded:
    """The current champions, checked; ``ReloadError`` when any card fails (see the module)."""
    from riskmodels.registry.champions import ChampionsUnavailable, load_account_models, load_champions

    try:
        bundle = load_champions(settings)
    except ChampionsUnavailable as exc:
        raise ReloadError(503, "reload-failed", f"reload failed, previous models kept: {exc}",
                          {"application": str(exc)}) from exc
    accounts = load_account_models(settings)
    failures: dict[str, str] = {}
    for kind in ACCOUNT_KINDS:
        if kind in accounts.models:
            continue
        problem = accounts.problems.get(kind, "not loaded")
        served = current.accounts.models.get(kind)
        if served is not None:
            failures[str(kind)] = f"{served.name} v{served.version} is served now and would be dropped: {problem}"
        elif _has_champion(kind):
            failures[str(kind)] = f"its champion cannot be served: {problem}"
    if failures:
        raise ReloadError(503, "reload-failed", "reload failed, previous models kept: "
                          + "; ".join(f"{k}: {v}" for k, v in failures.items()), failures)
    checks = check_bundle(bundle) | check_accounts(accounts)
    if checks:
        raise ReloadError(409, "reload-refused", "the new champions fail their sanity check, previous models "
                          "kept: " + "; ".join(f"{k}: {v}" for k, v in checks.items()), checks)
    return _loaded(bundle, accounts)
