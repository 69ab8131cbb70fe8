"""Shared fixtures: an offline environment, a private project home, one small generated
portfolio and one trained model store per session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskmodels.config import Settings, apply_offline_environment, get_settings

apply_offline_environment()
# Tests never touch the repository's own mlruns/, data/ or audit log.
os.environ["RISKMODELS_HOME"] = tempfile.mkdtemp(prefix="riskmodels-test-home-")
os.environ.setdefault("RISKMODELS_API_KEYS", "test-key-1,test-key-2")
get_settings.cache_clear()

# Small enough for a 2-core CI machine, large enough for stable rates and AUCs.
PORTFOLIO_SIZE = 40_000
PORTFOLIO_SEED = 11


@pytest.fixture(scope="session")
def portfolio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated portfolio on disk, shared by every test that needs realistic data."""
    from riskmodels.synth import generate_portfolio, write_portfolio

    out = tmp_path_factory.mktemp("portfolio") / "synthetic"
    write_portfolio(generate_portfolio(PORTFOLIO_SIZE, PORTFOLIO_SEED), out)
    return out


@pytest.fixture(scope="session")
def trained_store(portfolio_dir: Path) -> Iterator[Settings]:
    """The session's MLflow store with the fraud model, A card and challenger trained,
    registered and promoted to champion by the real pipelines."""
    from pipelines import run_training
    from riskmodels.config import REGISTERED_MODELS
    from riskmodels.promotion import promote

    for kind in ("fraud", "application"):
        run_training(kind, portfolio_dir)
    for kind in ("fraud", "application"):
        promote(REGISTERED_MODELS[kind])
    yield get_settings()


@pytest.fixture(scope="session")
def served_store(request: pytest.FixtureRequest) -> Settings:
    """``trained_store``, with its fraud model and A card as champions even when a promotion
    gate refuses them (as it may while the simulator is being tuned): the service's tests judge
    the service, not the models, so the challengers just trained are then made champion."""
    from riskmodels import tracking
    from riskmodels.config import REGISTERED_MODELS
    from riskmodels.promotion import PromotionRefused

    try:
        return request.getfixturevalue("trained_store")  # type: ignore[no-any-return]
    except PromotionRefused:
        for kind in ("fraud", "application"):
            name = REGISTERED_MODELS[kind]
            version = tracking.describe(name, tracking.CHALLENGER).version
            tracking.set_alias(name, tracking.CHAMPION, version)
        return get_settings()


@pytest.fixture(scope="session")
def post_loan_store(served_store: Settings, portfolio_dir: Path) -> Settings:
    """``served_store`` plus the B and C cards, trained by their pipelines and made champion.

    The alias is set directly: what depends on this (the service) needs a champion to serve,
    whatever the promotion gates say of this small portfolio (their own tests judge them).
    """
    from pipelines import run_training
    from riskmodels import tracking

    for kind in ("behavior", "collection"):
        result = run_training(kind, portfolio_dir)
        tracking.set_alias(result.model_name, tracking.CHAMPION, str(result.version))
    return served_store
