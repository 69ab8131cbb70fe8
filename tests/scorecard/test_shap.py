"""Closed-form SHAP (points minus development mean) equals shap's LinearExplainer in points."""

from __future__ import annotations

import numpy as np

from riskmodels.scorecard.binning import woe_frame
from riskmodels.scorecard.model import ScorecardModel


def test_shap_has_zero_mean_on_the_development_sample(fitted: ScorecardModel, dev_data) -> None:
    X, _ = dev_data
    contributions = fitted.contributions(X)
    assert len(contributions) == len(X) * len(fitted.selected_features_)
    by_characteristic = contributions.groupby("characteristic")
    np.testing.assert_allclose(by_characteristic["shap"].mean(), 0, atol=1e-9)
    assert (contributions["points_lost"] >= 0).all()
    assert (by_characteristic["points_lost"].min() == 0).all()  # someone sits in the best bin


def test_shap_matches_linear_explainer_scaled_to_points(fitted: ScorecardModel, dev_data) -> None:
    import shap

    X, _ = dev_data
    names = fitted.selected_features_
    woe = woe_frame(fitted.binning_process_, X, names, fitted.config_).to_numpy()
    coef = fitted.coef_table_["coef"].to_numpy()
    # Background: the whole development sample, not shap's default 100-row subsample.
    explainer = shap.LinearExplainer((coef[1:], coef[0]),
                                     shap.maskers.Independent(woe, max_samples=len(woe)))
    log_odds_shap = explainer.shap_values(woe[:500])
    # Points fall by `factor` per unit of log-odds of bad.
    expected = -fitted.config_.scale.factor * log_odds_shap
    ours = fitted.contributions(X.iloc[:500]).pivot(index="row", columns="characteristic", values="shap")
    np.testing.assert_allclose(ours[names].to_numpy(), expected, atol=1e-8)

    one = fitted.contributions_one(X.iloc[3].to_dict())
    assert [c.characteristic for c in one] == names
    np.testing.assert_allclose([c.shap for c in one], expected[3], atol=1e-8)
