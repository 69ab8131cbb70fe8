"""Simulated samples with known true PDs: the model "predicts" the truth, so it is calibrated."""

from __future__ import annotations

import numpy as np
import pytest
from _evaluation_samples import simulate


@pytest.fixture(scope="session")
def sample() -> tuple[np.ndarray, np.ndarray]:
    return simulate(6_000, seed=3)
