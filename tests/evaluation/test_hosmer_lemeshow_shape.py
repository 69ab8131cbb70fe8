"""Hosmer-Lemeshow on the PDs' shape (``relevel=True``): the test for through-the-cycle PDs judged
on a window of months, whose level is the long-run average's by design."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from riskmodels.evaluation.calibration import hosmer_lemeshow


def _window(rng: np.random.Generator, n: int, level: float = 0.0, slope: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes of a window whose true log-odds are ``level + slope * z``, and the PDs ``expit(z)``."""
    z = rng.normal(-3.2, 1.1, n)
    return (rng.uniform(size=n) < expit(level + slope * z)).astype(int), expit(z)


def test_a_level_shift_alone_fails_the_plain_test_but_not_the_shape() -> None:
    y, pd_ = _window(np.random.default_rng(1), 50_000, level=-0.15)  # a good part of the cycle: 14% fewer bads
    assert hosmer_lemeshow(y, pd_, external=True).p_value < 0.001
    shape = hosmer_lemeshow(y, pd_, external=True, relevel=True)
    assert shape.p_value > 0.05 and shape.dof == 9  # one degree of freedom spent on the level


def test_the_shape_test_still_finds_a_wrong_slope() -> None:
    y, pd_ = _window(np.random.default_rng(2), 50_000, slope=1.25)
    assert hosmer_lemeshow(y, pd_, external=True, relevel=True).p_value < 0.001


def test_the_shape_test_does_not_depend_on_the_level_of_the_pds() -> None:
    y, pd_ = _window(np.random.default_rng(3), 20_000)
    moved = expit(np.log(pd_ / (1 - pd_)) + 0.4)
    assert hosmer_lemeshow(y, moved, external=True, relevel=True).statistic == pytest.approx(
        hosmer_lemeshow(y, pd_, external=True, relevel=True).statistic, rel=1e-6)


def test_the_shape_test_holds_its_size_on_well_shaped_pds() -> None:
    rng = np.random.default_rng(4)
    p_values = [hosmer_lemeshow(*_window(rng, 20_000, level=rng.normal(0, 0.2)), external=True, relevel=True).p_value
                for _ in range(300)]
    # 5% nominal size: 15 of 300 expected; a wrong number of degrees of freedom would miss this band.
    assert 0.02 <= np.mean(np.array(p_values) < 0.05) <= 0.09
