"""Simulated samples with known true PDs: the model "predicts" the truth, so it is calibrated."""

from __future__ import annotations

import numpy as np
import pytest


def simulate(n: int, seed: int, intercept: float = -3.0, slope: float = 1.2) -> tuple[np.ndarray, np.ndarray]:
    """(y, true PD) from a logistic latent score; y drawn from the PD itself."""
    rng = np.random.default_rng(seed)
    true_pd = 1 / (1 + np.exp(-(intercept + slope * rng.standard_normal(n))))
    return (rng.random(n) < true_pd).astype(int), true_pd


def to_score(pd_: np.ndarray) -> np.ndarray:
    """Points, higher = safer: 60 at odds 20:1, 10 points to double the odds."""
    return 60 + 10 / np.log(2) * (np.log((1 - pd_) / pd_) - np.log(20))


@pytest.fixture(scope="session")
def sample() -> tuple[np.ndarray, np.ndarray]:
    return simulate(6_000, seed=3)
