"""Coefficients, standard errors, z and p-values checked against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from riskmodels.scorecard.binning import woe_frame
from riskmodels.scorecard.logistic import WoeLogisticRegression, coefficient_table, variance_inflation
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


def _regressed(values: np.ndarray) -> np.ndarray:
    """VIF by definition: each column regressed (with intercept) on the others; rounding error only: infinite."""
    vif = []
    for j in range(values.shape[1]):
        others = np.column_stack([np.ones(len(values)), np.delete(values, j, axis=1)])
        residual = np.sum((values[:, j] - others @ np.linalg.lstsq(others, values[:, j], rcond=None)[0]) ** 2)
        total = np.sum((values[:, j] - values[:, j].mean()) ** 2)
        vif.append(total / residual if residual > 1e-12 * total else np.inf)
    return np.array(vif)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), columns=st.integers(2, 8), rows=st.integers(30, 400),
       closeness=st.sampled_from([1.0, 0.3, 1e-2, 1e-4, 1e-6, 1e-9, 0.0]), levels=st.integers(2, 6))
def test_vif_is_each_columns_regression_on_the_others(seed: int, columns: int, rows: int, closeness: float,
                                                      levels: int) -> None:
    """WoE-like columns (a few distinct values each), the last one made of the first two plus noise
    of a chosen size (0: exactly): near or at collinearity the VIF is still the regression's."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, levels, size=(rows, columns)).astype(float) * rng.normal(size=columns)
    values[:, -1] = values[:, 0] - 0.5 * values[:, 1 % (columns - 1)] + closeness * rng.normal(size=rows)
    got = variance_inflation(pd.DataFrame(values)).to_numpy()
    expected = _regressed(values)
    assert (np.isinf(got) == np.isinf(expected)).all()
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-7)


def test_standard_errors_and_p_values_are_statsmodels_summary() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(8)
    X = rng.normal(size=(2_000, 3))
    y = (rng.uniform(size=2_000) < 1 / (1 + np.exp(-(-1.0 + X @ [0.8, 0.0, -0.3])))).astype(int)
    ours = WoeLogisticRegression().fit(X, y)
    summary = sm.Logit(y, sm.add_constant(X)).fit(disp=False).summary2().tables[1]
    np.testing.assert_allclose(ours.std_err_, summary["Std.Err."], rtol=1e-6)
    np.testing.assert_allclose(ours.p_values_, summary["P>|z|"], rtol=1e-5, atol=1e-300)
    assert ours.p_values_[2] > 0.05 > ours.p_values_[1]  # the zero effect is not significant


def test_weighted_fit_agrees_with_sklearn_and_counts_weights_as_rows() -> None:
    rng = np.random.default_rng(9)
    X = rng.normal(size=(2_000, 2))
    y = (rng.uniform(size=2_000) < 1 / (1 + np.exp(-(-1.0 + X @ [0.8, -0.4])))).astype(int)
    w = rng.uniform(0.2, 1.0, 2_000)
    ours = WoeLogisticRegression().fit(X, y, sample_weight=w)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-6)
    # Frequency weights: halving every weight is half the rows, so standard errors grow by sqrt(2).
    halved = WoeLogisticRegression().fit(X, y, sample_weight=w / 2)
    np.testing.assert_allclose(halved.coef_, ours.coef_, atol=1e-8)
    np.testing.assert_allclose(halved.std_err_, ours.std_err_ * np.sqrt(2), rtol=1e-6)


@pytest.mark.parametrize("C", [0.001, 1.0])
def test_l2_fit_agrees_with_sklearn_and_reports_no_standard_errors(C: float) -> None:
    rng = np.random.default_rng(10)
    X = rng.normal(size=(3_000, 3))
    y = (rng.uniform(size=3_000) < 1 / (1 + np.exp(-(-1.5 + X @ [1.0, -0.5, 0.2])))).astype(int)
    w = rng.integers(1, 3, 3_000).astype(float)
    ours = WoeLogisticRegression(penalty="l2", C=C).fit(X, y, sample_weight=w)
    reference = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-4)
    assert np.isnan(ours.std_err_).all() and np.isnan(ours.p_values_).all()
    table = coefficient_table(ours, ["a", "b", "c"])
    assert table["p_value"].isna().all() and table["coef"].notna().all()
    unpenalised = WoeLogisticRegression().fit(X, y, sample_weight=w)
    assert np.abs(ours.coef_).sum() < np.abs(unpenalised.coef_).sum()  # the penalty shrinks
    with pytest.raises(ValueError, match="penalty must be 'none' or 'l2'; got 'l1'"):
        WoeLogisticRegression(penalty="l1").fit(X, y)  # type: ignore[arg-type]
