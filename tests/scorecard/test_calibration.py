"""PD calibration: the fitted line recovers a known one, is baked into the compiled points, and
every PD is read from the unclipped points."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from riskmodels.scorecard.calibration import Calibration, fit_calibration
from riskmodels.scorecard.compiled import CompiledScorecard
from riskmodels.scorecard.model import ScorecardModel


def test_logistic_recalibration_recovers_a_known_line() -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(-3.0, 1.5, 200_000)
    y = (rng.uniform(size=z.size) < 1 / (1 + np.exp(-(0.3 + 0.8 * z)))).astype(int)
    line = fit_calibration(z, y, z, y, "logistic", "through_the_cycle")
    assert line.slope == pytest.approx(0.8, abs=0.02) and line.intercept == pytest.approx(0.3, abs=0.06)
    recent = z > -3.0  # a level anchored on part of the rows keeps the slope
    pit = fit_calibration(z, y, z[recent], y[recent], "logistic", "point_in_time")
    assert pit.slope == line.slope and pit.basis == "point_in_time"
    only_level = fit_calibration(z, y, z, y, "intercept_only")
    assert only_level.slope == 1.0
    calibrated = 1 / (1 + np.exp(-only_level.apply(z)))
    assert calibrated.mean() == pytest.approx(y.mean(), rel=1e-6)  # calibration in the large


def test_calibration_is_baked_into_the_points_and_every_path_agrees(fitted: ScorecardModel, dev_data) -> None:
    X = dev_data[0].head(2_000)
    raw = fitted.compiled_
    line = Calibration("logistic", "through_the_cycle", 0.4, 0.7, 1, 1, 1, 1, 0.05, "test", "test")
    card = raw.calibrated(line)
    expected = line.apply(raw.log_odds_frame(X))
    np.testing.assert_allclose(card.log_odds_frame(X), expected, atol=1e-9)
    np.testing.assert_allclose(card.pd_frame(X), 1 / (1 + np.exp(-expected)), rtol=1e-9)
    # The characteristics' points still sum to the score, on both paths, after a JSON round trip.
    again = CompiledScorecard.from_json(card.to_json())
    assert json.loads(card.to_json())["calibration"]["slope"] == 0.7
    for i, row in enumerate(X.head(200).to_dict(orient="records")):
        assert again.score_one(row, clip=False) == pytest.approx(card.score_frame(X, clip=False)[i], abs=1e-9)
        assert sum(c.points for c in again.contributions_one(row)) == pytest.approx(again.score_one(row, clip=False))
    with pytest.raises(ValueError, match="calibrated already"):
        card.calibrated(line)


def test_a_pd_is_read_from_the_unclipped_points_not_the_clipped_score(fitted: ScorecardModel) -> None:
    card = fitted.compiled_
    scale = card.scale
    points = scale.min_score - 12.0  # a row whose points fall below the scale: its score is clipped to 0
    assert scale.clip(points) == scale.min_score
    true_pd = 1 / (1 + math.exp(-(scale.offset - points) / scale.factor))
    assert card.pd_from_points(points) == pytest.approx(true_pd)
    assert card.pd_from_points(points) > scale.to_pd(scale.min_score)  # the clipped score's PD understates it
