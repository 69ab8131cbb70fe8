"""Unpenalised logistic regression on WoE, with the inference a validator asks for.

Fitted by Newton-Raphson to a tight tolerance, so coefficients, standard errors, z and Wald
p-values match statsmodels' ``Logit`` (standard errors from the inverse of the observed
information ``X'WX`` at the maximum). It is an sklearn classifier exposing ``coef_`` and
``intercept_``, which is what ``optbinning.Scorecard`` needs from its estimator.
"""

from __future__ import annotations

import warnings
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special, stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning

Matrix = npt.NDArray[np.float64]


class WoeLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Maximum-likelihood logistic regression of the event (y = 1) on the columns of X."""

    def __init__(self, tol: float = 1e-10, max_iter: int = 100) -> None:
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame | Matrix, y: npt.ArrayLike,
            sample_weight: npt.ArrayLike | None = None) -> WoeLogisticRegression:
        """``sample_weight``: each row's weight in the likelihood (frequency weights: the
        standard errors are those of the rows repeated that many times); None weighs them alike."""
        design = _with_intercept(X)
        target = np.asarray(y, dtype=float)
        weight = check_sample_weight(sample_weight, len(target))
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = design.shape[1] - 1
        self.classes_ = np.array([0, 1])

        beta = np.zeros(design.shape[1])
        event_rate = target.mean() if weight is None else np.average(target, weights=weight)
        beta[0] = special.logit(np.clip(event_rate, 1e-12, 1 - 1e-12))
        loglik = _log_likelihood(design, target, beta, weight)
        self.converged_ = False
        for iteration in range(1, self.max_iter + 1):
            prob = special.expit(design @ beta)
            gradient = design.T @ _weighted(target - prob, weight)
            step = np.linalg.solve(_information(design, prob, weight), gradient)
            # Halve the step until the likelihood does not fall: Newton can overshoot when
            # the data are close to separation.
            for _ in range(30):
                candidate = beta + step
                new_loglik = _log_likelihood(design, target, candidate, weight)
                if new_loglik >= loglik - 1e-12:
                    break
                step = step / 2.0
            beta, loglik = candidate, new_loglik
            self.n_iter_ = iteration
            if np.max(np.abs(step)) < self.tol:
                self.converged_ = True
                break
        if not self.converged_:
            warnings.warn(f"Newton-Raphson did not converge in {self.max_iter} iterations; "
                          "the WoE variables may separate the classes", ConvergenceWarning,
                          stacklevel=2)

        self.intercept_ = beta[:1].copy()
        self.coef_ = beta[1:].reshape(1, -1).copy()
        self.covariance_ = np.linalg.inv(_information(design, special.expit(design @ beta), weight))
        self.log_likelihood_ = float(loglik)
        return self

    def decision_function(self, X: pd.DataFrame | Matrix) -> Matrix:
        # numpy types a float matrix @ vector as Any
        return cast(Matrix, np.asarray(X, dtype=float) @ self.coef_[0] + self.intercept_[0])

    def predict_proba(self, X: pd.DataFrame | Matrix) -> Matrix:
        prob = special.expit(self.decision_function(X))
        return np.column_stack([1.0 - prob, prob])

    def predict(self, X: pd.DataFrame | Matrix) -> npt.NDArray[np.int64]:
        return (self.decision_function(X) > 0).astype(np.int64)

    @property
    def std_err_(self) -> Matrix:
        """Standard errors of (intercept, coef...)."""
        return np.sqrt(np.diag(self.covariance_))


def _with_intercept(X: pd.DataFrame | Matrix) -> Matrix:
    values = np.asarray(X, dtype=float)
    return np.column_stack([np.ones(values.shape[0]), values])


def check_sample_weight(sample_weight: npt.ArrayLike | None, n_rows: int) -> Matrix | None:
    """The weights as a float array (None stays None: every row weighs one)."""
    if sample_weight is None:
        return None
    weight = np.asarray(sample_weight, dtype=float)
    if weight.shape != (n_rows,):
        raise ValueError(f"sample_weight must have one weight per row ({n_rows},); got shape {weight.shape}")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise ValueError("sample_weight must be finite and non-negative; got "
                         f"{weight[~np.isfinite(weight) | (weight < 0)][:5].tolist()}")
    if weight.sum() <= 0:
        raise ValueError(f"sample_weight must have a positive sum; got {weight.sum()}")
    return weight


def _weighted(values: Matrix, weight: Matrix | None) -> Matrix:
    # Without weights the arithmetic is left exactly as it was (no multiplication by ones).
    return values if weight is None else values * weight


def _information(design: Matrix, prob: Matrix, weight: Matrix | None = None) -> Matrix:
    """Observed information X'WX, W = diag(w p(1-p)) (equal to the expected one for a logit)."""
    weights = _weighted(prob * (1.0 - prob), weight)
    return design.T @ (design * weights[:, None])


def _log_likelihood(design: Matrix, target: Matrix, beta: Matrix, weight: Matrix | None = None) -> float:
    eta = design @ beta
    # log(1 + e^eta) written to stay finite for large |eta|.
    return float(np.sum(_weighted(target * eta - np.logaddexp(0.0, eta), weight)))


def variance_inflation(woe: pd.DataFrame) -> pd.Series:
    """VIF of each column: 1 / (1 - R^2) of its regression (with intercept) on the others."""
    values = woe.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    vif = np.ones(n_cols)
    for j in range(1 if n_cols == 1 else 0, n_cols):
        others = np.column_stack([np.ones(n_rows), np.delete(values, j, axis=1)])
        fitted = others @ np.linalg.lstsq(others, values[:, j], rcond=None)[0]
        residual = np.sum((values[:, j] - fitted) ** 2)
        total = np.sum((values[:, j] - values[:, j].mean()) ** 2)
        # An exact linear combination of the others leaves only rounding error: VIF infinite.
        vif[j] = total / residual if residual > 1e-12 * total else np.inf
    return pd.Series(vif, index=woe.columns, name="vif")


def coefficient_table(model: WoeLogisticRegression, variables: list[str],
                      vif: pd.Series | None = None) -> pd.DataFrame:
    """variable (intercept first), coef, std_err, z, Wald p_value and vif."""
    coef = np.concatenate([model.intercept_, model.coef_[0]])
    std_err = model.std_err_
    z = coef / std_err
    vif_values = [np.nan] + ([float(vif[v]) for v in variables] if vif is not None
                             else [np.nan] * len(variables))
    return pd.DataFrame({
        "variable": ["intercept", *variables],
        "coef": coef,
        "std_err": std_err,
        "z": z,
        "p_value": 2.0 * stats.norm.sf(np.abs(z)),
        "vif": vif_values,
    })
