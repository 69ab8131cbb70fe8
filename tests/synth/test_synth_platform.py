"""The platform source: a minority of agents, all its columns null together for the rest, drawn
from a stream of its own so that the book's other columns do not depend on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import APPLICATIONS, INDUSTRIES
from riskmodels.synth import generate_portfolio, platform

PLATFORM = [c.name for c in APPLICATIONS.by_source("platform")]


@pytest.fixture(scope="module")
def book() -> pd.DataFrame:
    return generate_portfolio(6_000, 3).applications


def test_agents_are_a_minority_with_every_platform_column_known(book: pd.DataFrame) -> None:
    known = book[PLATFORM].notna()
    assert (known.all(axis=1) | ~known.any(axis=1)).all()  # all or nothing, per application
    share = known.all(axis=1).mean()
    assert 0.03 < share < 0.10
    agents = book[known.all(axis=1)]
    shops = agents["industry"].isin(["retail", "wholesale", "technology", "services"]).mean()
    assert shops > 0.7  # the platforms' agents are shops and distributors
    ratio = agents["platform_commissions_12m"] / agents["platform_orders_12m"]
    assert ratio.between(0.01, 0.12).all()
    assert (agents["platform_max_month_share"] >= 1 / 12 - 1e-9).all()


def test_the_other_columns_do_not_depend_on_the_platform_source(monkeypatch: pytest.MonkeyPatch,
                                                               book: pd.DataFrame) -> None:
    def nobody(chunk, rng) -> None:  # no agents, and the stream left undrawn
        for name in PLATFORM:
            chunk.cols[name] = np.full(chunk.n, np.nan)

    monkeypatch.setattr(platform, "add_platform", nobody)
    without = generate_portfolio(6_000, 3).applications
    others = [c for c in book.columns if c not in PLATFORM]
    pd.testing.assert_frame_equal(book[others], without[others])
    assert without[PLATFORM].isna().all().all()


def test_healthier_agents_order_more_steadily(book: pd.DataFrame) -> None:
    truth = generate_portfolio(6_000, 3).truth.set_index("application_id")
    agents = book.dropna(subset=["platform_agent_months"]).set_index("application_id")
    health = truth.loc[agents.index, "health"]
    assert np.corrcoef(health, agents["platform_max_order_gap_days"])[0, 1] < -0.2
    assert set(agents["industry"].astype(str)) <= set(INDUSTRIES)
