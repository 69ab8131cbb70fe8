"""Shared fixtures: an offline environment, a private project home, one small generated
portfolio and one trained model store per session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskmodels.config import Settings, apply_offline_environment, get_settings

pytest_plugins = ["tests._postgres"]  # the `postgres_url` fixture: a real server for the shared stores

apply_offline_environment()
# Tests never touch the repository's own mlruns/, data/ or audit log.
os.environ["RISKMODELS_HOME"] = tempfile.mkdtemp(prefix="riskmodels-test-home-")
os.environ.setdefault("RISKMODELS_API_KEYS", "test-key-1,test-key-2")
# A test key, so no run writes the default key file into the user's ~/.config.
os.environ.setdefault("RISKMODELS_PSEUDONYM_KEY", "riskmodels-test-pseudonym-key-0123456789abcdef")
# Who trains in the tests (recorded with every run), and who approves: never the same person.
os.environ["RISKMODELS_USER"] = TRAINER = "test-trainer"
APPROVER = "test-approver"
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
    from riskmodels.registry.promotion import promote

    for kind in ("fraud", "application"):
        run_training(kind, portfolio_dir)
    for kind in ("fraud", "application"):
        promote(REGISTERED_MODELS[kind], approver=APPROVER, reason="session store: first champion")
    yield get_settings()


@pytest.fixture(scope="session")
def post_loan_store(trained_store: Settings, portfolio_dir: Path) -> Settings:
    """``trained_store`` plus the B and C cards, trained by their pipelines and promoted to
    champion through their gates, as a risk manager would."""
    from pipelines import run_training
    from riskmodels.registry.promotion import promote

    for kind in ("behavior", "collection"):
        result = run_training(kind, portfolio_dir)
        promote(result.model_name, result.version, approver=APPROVER, reason="session store: first champion")
    return trained_store
