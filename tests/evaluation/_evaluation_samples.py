"""Simulated samples with known true PDs: the model "predicts" the truth, so it is calibrated.

A module of its own, not conftest.py: every test folder has a conftest, so ``from conftest
import ...`` would find whichever one was imported first."""

from __future__ import annotations

import numpy as np


def simulate(n: int, seed: int, intercept: float = -3.0, slope: float = 1.2) -> tuple[np.ndarray, np.ndarray]:
    """(y, true PD) from a logistic latent score; y drawn from the PD itself."""
    rng = np.random.default_rng(seed)
    true_pd = 1 / (1 + np.exp(-(intercept + slope * rng.standard_normal(n))))
    return (rng.random(n) < true_pd).astype(int), true_pd

