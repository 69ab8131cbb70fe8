"""Coefficients, standard errors, z and p-values checked against independent computations."""

from __future__ import annotations

import math

import numpy as np
from sklearn.linear_model import LogisticRegression

from riskmodels.scorecard.binning import woe_frame
from riskmodels.scorecard.logistic import WoeLogisticRegression, variance_inflation
from riskmodels.scorecard.model import ScorecardModel


def test_coefficient_table_matches_the_information_matrix(fitted: ScorecardModel, dev_data) -> None:
    X, y = dev_data
    names = fitted.selected_features_
    # WoE from the candidate binning: the final scorecard's rebinning must give the same bins.
    woe = woe_frame(fitted.binning_process_, X, names, fitted.config_).to_numpy()
    design = np.column_stack([np.ones(len(woe)), woe])
    table = fitted.coef_table_
    beta = table["coef"].to_numpy()
    prob = 1 / (1 + np.exp(-design @ beta))

    np.testing.assert_allclose(design.T @ (y - prob), 0, atol=1e-6)  # score equations hold
    information = design.T @ (design * (prob * (1 - prob))[:, None])
    np.testing.assert_allclose(table["std_err"], np.sqrt(np.diag(np.linalg.inv(information))), rtol=1e-8)
    np.testing.assert_allclose(table["z"], beta / table["std_err"], rtol=1e-12)
    wald = [math.erfc(abs(z) / math.sqrt(2)) for z in table["z"]]
    np.testing.assert_allclose(table["p_value"], wald, rtol=1e-9, atol=1e-300)
    assert table["variable"].tolist() == ["intercept", *names]


def test_fit_agrees_with_sklearn_unpenalised_logistic_regression() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3_000, 3))
    y = (rng.uniform(size=3_000) < 1 / (1 + np.exp(-(0.3 + X @ [1.0, -0.5, 0.2])))).astype(int)
    ours = WoeLogisticRegression().fit(X, y)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    assert ours.converged_


def test_vif_is_the_diagonal_of_the_inverse_correlation_matrix(fitted: ScorecardModel, dev_data) -> None:
    X, _ = dev_data
    woe = woe_frame(fitted.binning_process_, X, ["leverage", "utilisation", "repayment_ratio"],
                    fitted.config_)
    expected = np.diag(np.linalg.inv(np.corrcoef(woe.to_numpy(), rowvar=False)))
    np.testing.assert_allclose(variance_inflation(woe), expected, rtol=1e-8)
    assert variance_inflation(woe.assign(double=2 * woe["leverage"]))["double"] == np.inf
