"""A small generic credit dataset with a known logistic truth, and one model fitted on it.

Nothing here is specific to our simulator: numeric and categorical characteristics, missing
values, a special code, a noise variable, a near-duplicate and a variable whose conditional
effect has the opposite sign of its marginal one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.scorecard.config import ScorecardConfig
from riskmodels.scorecard.model import ScorecardModel

NEVER_OVERDUE = -1.0
CATEGORY_RISK = {"retail": -0.5, "services": 0.0, "transport": 0.4, "construction": 1.0}
DEV_ROWS = 20_000
SPECIAL_CODES = {"repayment_ratio": {NEVER_OVERDUE: "never overdue"},
                 "repayment_ratio_copy": {NEVER_OVERDUE: "never overdue"}}


def make_applications(n_rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    leverage = rng.normal(size=n_rows)
    # Correlated with leverage (r = 0.6); on its own it *lowers* risk, but through leverage it
    # looks risky: its WoE and its conditional coefficient disagree in sign.
    utilisation = 0.6 * leverage + 0.8 * rng.normal(size=n_rows)
    repayment = rng.uniform(size=n_rows)
    never_overdue = rng.uniform(size=n_rows) < 0.08
    industry = rng.choice(list(CATEGORY_RISK), size=n_rows, p=[0.4, 0.3, 0.2, 0.1])
    logit = (-1.6 + 1.5 * leverage - 0.6 * utilisation - 1.2 * repayment
             + pd.Series(industry).map(CATEGORY_RISK).to_numpy() - 0.6 * never_overdue)
    y = (rng.uniform(size=n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)

    X = pd.DataFrame({
        "leverage": np.where(rng.uniform(size=n_rows) < 0.05, np.nan, leverage),
        "utilisation": utilisation,
        "repayment_ratio": np.where(never_overdue, NEVER_OVERDUE, repayment),
        "repayment_ratio_copy": np.where(
            never_overdue, NEVER_OVERDUE, repayment + rng.normal(scale=0.02, size=n_rows)),
        "industry": industry,
        "noise": rng.normal(size=n_rows),
    })
    return X, y


# The candidates the binning tests bin: numeric, categorical, one with a special code, and noise.
BINNED = ["leverage", "utilisation", "repayment_ratio", "industry", "noise"]


@pytest.fixture(scope="session")
def binning_book() -> tuple[pd.DataFrame, np.ndarray, ScorecardConfig]:
    """A small book and the config its binning tests bin ``BINNED`` with."""
    X, y = make_applications(6_000, seed=11)
    cfg = ScorecardConfig(features=BINNED, categorical_features=["industry"],
                          special_codes={"repayment_ratio": SPECIAL_CODES["repayment_ratio"]})
    return X, y, cfg


@pytest.fixture(scope="session")
def dev_data() -> tuple[pd.DataFrame, np.ndarray]:
    return make_applications(DEV_ROWS, seed=1)


@pytest.fixture(scope="session")
def fitted(dev_data: tuple[pd.DataFrame, np.ndarray]) -> ScorecardModel:
    X, y = dev_data
    return ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES).fit(X, y)


def noise_book(n_rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """One real characteristic and a 40-category one unrelated to the outcome."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n_rows)
    noise = rng.choice([f"c{i:02d}" for i in range(40)], size=n_rows)
    y = (rng.uniform(size=n_rows) < 1 / (1 + np.exp(1 - x))).astype(int)
    return pd.DataFrame({"x": x, "noise": noise}), y
