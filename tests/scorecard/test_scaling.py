"""The points line: anchor, doubling, inverse, clipping, and the scorecard sitting on it."""

from __future__ import annotations

import numpy as np
import pytest

from riskmodels.scorecard.binning import woe_frame
from riskmodels.scorecard.model import ScorecardModel
from riskmodels.scorecard.scaling import ScoreScale


def test_anchor_and_points_to_double_the_odds() -> None:
    scale = ScoreScale(base_points=60, base_odds=20, pdo=10)
    assert scale.to_points(1 / 21) == pytest.approx(60)  # odds 20:1 good:bad
    assert scale.to_points(1 / 41) == pytest.approx(70)  # odds 40:1
    assert scale.to_points(1 / 11) == pytest.approx(50)  # odds 10:1
    pd_values = np.array([0.001, 0.05, 0.3, 0.9])
    np.testing.assert_allclose(scale.to_pd(scale.to_points(pd_values)), pd_values, rtol=1e-12)
    np.testing.assert_array_equal(scale.clip(np.array([-5.0, 42.0, 130.0])), [0.0, 42.0, 100.0])


def test_invalid_scales_are_rejected() -> None:
    with pytest.raises(ValueError, match="pdo must be positive"):
        ScoreScale(pdo=0)
    with pytest.raises(ValueError, match="min_score must be below max_score"):
        ScoreScale(min_score=100, max_score=0)


def test_points_are_the_logistic_model_put_on_the_scale(fitted: ScorecardModel, dev_data) -> None:
    """optbinning's score equals ScoreScale.to_points of our logistic model's PD, computed
    here from the WoE and coefficients without optbinning's scaling code."""
    X, _ = dev_data
    names = fitted.selected_features_
    woe = woe_frame(fitted.binning_process_, X, names, fitted.config_).to_numpy()
    coef = fitted.coef_table_["coef"].to_numpy()
    pd_bad = 1 / (1 + np.exp(-(coef[0] + woe @ coef[1:])))
    expected = ScoreScale().to_points(pd_bad)
    np.testing.assert_allclose(fitted.scorecard_.score(X[names]), expected, atol=1e-6)
    np.testing.assert_allclose(fitted.predict_pd(X), pd_bad, rtol=1e-9)
    np.testing.assert_allclose(fitted.predict_score(X), np.clip(expected, 0, 100), atol=1e-6)
