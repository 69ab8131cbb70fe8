"""The logistic-normal calibration: the PD averaged over the risk a score cannot see."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodels.scorecard.calibration import Calibration, fit_calibration, logistic_normal_pd


def _calibration(sigma: float) -> Calibration:
    return Calibration("logistic", "through_the_cycle", 0.0, 1.0, 1, 1, 1, 1, 0.5, "s", "l", sigma)


def _book(rng: np.random.Generator, n: int, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores z and outcomes whose true log-odds are ``-0.2 + 1.1 z + sigma * u``, u unseen."""
    z = rng.normal(-3.0, 1.5, n)
    true = -0.2 + 1.1 * z + sigma * rng.standard_normal(n)
    return z, (rng.random(n) < 1 / (1 + np.exp(-true))).astype(float)


@settings(max_examples=100, deadline=None)
@given(st.floats(-12, 6), st.floats(0.01, 3), st.floats(-1, 1), st.floats(0.5, 1.5),
       st.lists(st.floats(-12, 6), min_size=1, max_size=40), st.integers(0, 40))
def test_the_one_row_pd_is_the_frame_pd_to_the_bit(log_odds: float, sigma: float, c: float, d: float,
                                                   others: list[float], at: int) -> None:
    """A row scored alone (the service's one-row path) and the same row anywhere in a frame of any
    size read the same PD, bit for bit: answers and batch files must agree."""
    cal = dataclasses.replace(_calibration(sigma), mixture_intercept=c, mixture_slope=d)
    frame = np.array(others[:at] + [log_odds] + others[at:])
    alone = cal.pd(log_odds)
    assert alone == float(cal.pd(np.array([log_odds]))[0]) == float(cal.pd(frame)[min(at, len(others))])


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 3))
def test_the_pd_rises_with_the_log_odds_and_a_line_without_heterogeneity_is_the_logistic(sigma: float) -> None:
    grid = np.linspace(-12, 6, 400)
    assert np.all(np.diff(_calibration(sigma).pd(grid)) > 0)
    assert _calibration(0.0).pd(grid) == pytest.approx(1 / (1 + np.exp(-grid)), rel=1e-12)
    # Averaging over unseen risk lifts a safe score's PD above the line's logistic (Jensen).
    assert float(logistic_normal_pd(np.array([-6.0]), sigma)[0]) > 1 / (1 + math.exp(6.0))


def test_the_fit_recovers_the_unseen_risk_and_keeps_it_when_the_test_rejects_the_line() -> None:
    z, y = _book(np.random.default_rng(3), 150_000, sigma=1.5)
    cal = fit_calibration(z, y, z, y, heterogeneity="auto")
    assert cal.heterogeneity == pytest.approx(1.5, abs=0.3)
    assert cal.heterogeneity_lr > 2.71
    # The points keep the line: every score is the one the plain calibration gives.
    line = fit_calibration(z, y, z, y)
    assert (cal.intercept, cal.slope) == (line.intercept, line.slope)
    # The level holds the PDs' mean to the sample's default rate.
    assert float(cal.pd(cal.apply(z)).mean()) == pytest.approx(y.mean(), rel=1e-6)


def test_a_book_without_unseen_risk_keeps_the_line_at_about_the_tests_level() -> None:
    kept = 0
    for seed in range(8):
        z, y = _book(np.random.default_rng(100 + seed), 10_000, sigma=0.0)
        cal = fit_calibration(z, y, z, y, heterogeneity="auto", alpha=0.05)
        kept += cal.heterogeneity > 0
        if cal.heterogeneity == 0:
            assert float(cal.pd(cal.apply(z)).mean()) == pytest.approx(y.mean(), rel=1e-6)
    # 5% per book: 3 or more of 8 would happen with probability below 0.6%.
    assert kept <= 2


def test_the_logistic_normal_calibration_back_tests_better_than_the_line_on_a_fresh_book() -> None:
    rng = np.random.default_rng(11)
    z_fit, y_fit = _book(rng, 120_000, sigma=1.5)
    z_new, y_new = _book(rng, 120_000, sigma=1.5)
    line = fit_calibration(z_fit, y_fit, z_fit, y_fit)
    mixture = fit_calibration(z_fit, y_fit, z_fit, y_fit, heterogeneity="auto")
    safest = z_new < np.quantile(z_new, 0.1)

    def safest_ratio(cal: Calibration) -> float:
        return float(y_new[safest].mean() / cal.pd(cal.apply(z_new[safest])).mean())

    # The line over-states the safest decile's PD; the average over unseen risk does not.
    assert abs(math.log(safest_ratio(mixture))) < abs(math.log(safest_ratio(line)))


def test_a_calibration_written_before_heterogeneity_existed_reads_as_the_line() -> None:
    old = {k: v for k, v in _calibration(0.7).to_dict().items() if not k.startswith("heterogeneity")}
    assert Calibration.from_dict(old).heterogeneity == 0.0
    with pytest.raises(ValueError, match="heterogeneity must be"):
        _calibration(-0.1)
