"""Logistic regression on WoE, with the inference a validator asks for, from statsmodels.

* Unweighted: ``statsmodels.Logit`` (L-BFGS to get near, then Newton's method); standard errors
  from the inverse information at the maximum, z and Wald p-values as its ``summary()`` prints them.
* Weighted (reject inference's fuzzy augmentation): ``GLM(Binomial, freq_weights=w)``, fitted the
  same way: a row of weight k counts as k rows, so its standard errors are those of the rows
  repeated. Measured
  (300 Monte-Carlo samples of 4,000 rows, weights uniform on [0.2, 1] and unrelated to y):
  ``var_weights`` gives the same standard errors as ``freq_weights`` for a binomial model (the
  scale is fixed at 1); both overstate the sampling spread of fractional *sampling* weights by
  about 27% (the sandwich, ``cov_type="HC0"``, matches it). Our weights are counts: fuzzy
  augmentation splits each reject into a good and a bad row whose weights sum to one, so the
  reject counts as one applicant, as a booked loan does. Were weights ever sampling weights,
  the count reading would be the conservative one (larger standard errors, fewer variables).
* ``penalty="l2"``: ridge, ``GLM.fit_regularized(L1_wt=0)`` with the intercept unpenalised and
  ``C`` read as scikit-learn reads it. A penalised fit has no standard errors in statsmodels, so
  ``std_err_`` and the p-values are NaN and p-value selection is refused (``ScorecardConfig``).

It is an sklearn classifier exposing ``coef_`` and ``intercept_``, which is what
``optbinning.Scorecard`` needs from its estimator.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from scipy import special
from sklearn.base import BaseEstimator, ClassifierMixin
from statsmodels.tools.sm_exceptions import ModelWarning

Matrix = npt.NDArray[np.float64]
Fitted = TypeVar("Fitted")


class WoeLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Logistic regression of the event (y = 1) on the columns of X, fitted by statsmodels.

    Fitted attributes: ``coef_`` (1, n), ``intercept_`` (1,), ``std_err_``, ``p_values_`` (both
    intercept first; NaN for a penalised fit), ``covariance_``, ``log_likelihood_``,
    ``converged_`` and ``n_iter_``.
    """

    def __init__(self, penalty: Literal["none", "l2"] = "none", C: float = 1.0,
                 tol: float = 1e-10, max_iter: int = 100) -> None:
        self.penalty = penalty
        self.C = C
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame | Matrix, y: npt.ArrayLike,
            sample_weight: npt.ArrayLike | None = None) -> WoeLogisticRegression:
        """``sample_weight``: each row's weight in the likelihood (frequency weights: the
        standard errors are those of the rows repeated that many times); None weighs them alike."""
        if self.penalty not in ("none", "l2"):
            raise ValueError(f"penalty must be 'none' or 'l2'; got {self.penalty!r}")
        if self.penalty == "l2" and not self.C > 0:
            raise ValueError(f"C must be positive; got {self.C}")
        design = _with_intercept(X)
        target = np.asarray(y, dtype=float).ravel()
        weight = check_sample_weight(sample_weight, len(target))
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = design.shape[1] - 1
        self.classes_ = np.array([0, 1])

        if self.penalty == "l2":
            beta, self.fit_warnings_ = _recorded(lambda: self._fit_ridge(design, target, weight))
            self.covariance_ = np.full((len(beta), len(beta)), np.nan)
            self.std_err_ = np.full(len(beta), np.nan)
            self.p_values_ = np.full(len(beta), np.nan)
            self.converged_, self.n_iter_ = True, 0
        else:
            result, self.fit_warnings_ = _recorded(lambda: _fit_mle(design, target, weight, self.tol, self.max_iter))
            beta = np.asarray(result.params, dtype=float)
            self.covariance_ = np.asarray(result.cov_params(), dtype=float)
            self.std_err_ = np.asarray(result.bse, dtype=float)
            self.p_values_ = np.asarray(result.pvalues, dtype=float)
            self.converged_ = bool(_fit_info(result, "converged"))
            self.n_iter_ = int(_fit_info(result, "iterations"))
        self.intercept_ = beta[:1].copy()
        self.coef_ = beta[1:].reshape(1, -1).copy()
        self.log_likelihood_ = _log_likelihood(design, target, beta, weight)
        return self

    def _fit_ridge(self, design: Matrix, target: Matrix, weight: Matrix | None) -> Matrix:
        # statsmodels minimises -loglik / n + alpha / 2 * |beta|^2, scikit-learn
        # C * (-loglik) + |beta|^2 / 2: the same optimum with alpha = 1 / (C n). The intercept
        # is not penalised (alpha 0), as in scikit-learn.
        alpha = np.full(design.shape[1], 1.0 / (self.C * design.shape[0]))
        alpha[0] = 0.0
        model = sm.GLM(target, design, family=sm.families.Binomial(), freq_weights=weight)
        result = model.fit_regularized(method="elastic_net", alpha=alpha, L1_wt=0.0,
                                       start_params=_start(design, target, weight))
        return np.asarray(result.params, dtype=float)

    def decision_function(self, X: pd.DataFrame | Matrix) -> Matrix:
        # numpy types a float matrix @ vector as Any
        return cast(Matrix, np.asarray(X, dtype=float) @ self.coef_[0] + self.intercept_[0])

    def predict_proba(self, X: pd.DataFrame | Matrix) -> Matrix:
        prob = special.expit(self.decision_function(X))
        return np.column_stack([1.0 - prob, prob])

    def predict(self, X: pd.DataFrame | Matrix) -> npt.NDArray[np.int64]:
        return (self.decision_function(X) > 0).astype(np.int64)


def _recorded(fit: Callable[[], Fitted]) -> tuple[Fitted, tuple[str, ...]]:
    """``fit()``, with statsmodels' model warnings (perfect separation, no convergence, a Hessian
    that does not invert) and numpy's numerical ones kept as text (``fit_warnings_``) instead of
    printed: a selection search fits hundreds of models, and on a small book each would print
    its own (1,217 on 50 rows). The card's own fit reports them (``ScorecardModel.fit``); any
    other warning is passed on as it came."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        warnings.simplefilter("always", RuntimeWarning)
        result = fit()
    kept = []
    for w in caught:
        if issubclass(w.category, ModelWarning | RuntimeWarning):
            kept.append(f"{w.category.__name__}: {str(w.message).strip()}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result, tuple(dict.fromkeys(kept))


def _fit_mle(design: Matrix, target: Matrix, weight: Matrix | None, tol: float, max_iter: int) -> Any:
    """statsmodels' maximum-likelihood fit: Logit or, weighted, GLM (Binomial, freq_weights).

    Newton's method alone overshoots from a start far from the optimum (a strong two-valued
    characteristic sent a B-card fit to infinity in two steps), so L-BFGS, whose line search
    always climbs, gets close first; Newton then converges to ``tol`` and its Hessian gives the
    standard errors."""
    if weight is None:
        model = sm.Logit(target, design)
    else:
        model = sm.GLM(target, design, family=sm.families.Binomial(), freq_weights=weight)
    near = model.fit(start_params=_start(design, target, weight), method="lbfgs", maxiter=10 * max_iter,
                     pgtol=1e-6, disp=False)
    return model.fit(start_params=near.params, method="newton", tol=tol, maxiter=max_iter, disp=False)


def _fit_info(result: Any, key: str) -> Any:
    # Logit and GLM fitted by an optimiser keep its report in mle_retvals.
    return result.mle_retvals[key]


def _start(design: Matrix, target: Matrix, weight: Matrix | None) -> Matrix:
    """Start at the event rate's log-odds with every slope 0: near the optimum for WoE inputs."""
    start = np.zeros(design.shape[1])
    event_rate = target.mean() if weight is None else np.average(target, weights=weight)
    start[0] = special.logit(np.clip(event_rate, 1e-12, 1 - 1e-12))
    return start


def _with_intercept(X: pd.DataFrame | Matrix) -> Matrix:
    values = np.asarray(X, dtype=float)
    return np.column_stack([np.ones(values.shape[0]), values])


def _log_likelihood(design: Matrix, target: Matrix, beta: Matrix, weight: Matrix | None) -> float:
    eta = design @ beta
    # log(1 + e^eta) written to stay finite for large |eta|.
    terms = target * eta - np.logaddexp(0.0, eta)
    return float(np.sum(terms if weight is None else terms * weight))


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
        raise ValueError(f"sample_weight must have a positive sum; got {weight.sum()} (every weight zero)")
    return weight


def variance_inflation(woe: pd.DataFrame) -> pd.Series:
    """VIF of each column: 1 / (1 - R^2) of its regression (with intercept) on the others.

    From one QR decomposition of the centred columns: the inverse of their cross-products has
    1 / (residual sum of squares) of column j's regression on the others at (j, j). Its digits
    fade as columns near an exact linear combination, so above ``_WELL_POSED`` each column is
    regressed on the others instead (``_regressed_vif``), which calls a column infinite when
    its residual is rounding error; the selection's VIF filter drops that one and goes on. The
    40,000 rows of 30 columns: 0.85 s a call by regressions, 67 ms by QR (2026-12-07)."""
    values = woe.to_numpy(dtype=float)
    centred = values - values.mean(axis=0)
    total = np.einsum("ij,ij->j", centred, centred)
    if values.shape[1] > 1 and (total > 0).all():
        r = np.linalg.qr(centred, mode="r")
        if np.all(np.diag(r)):  # a zero pivot: a column the others make exactly
            with np.errstate(over="ignore"):  # a near-zero pivot overflows: regressed below
                inverse_r = np.linalg.inv(r)
                vif = total * np.einsum("ij,ij->i", inverse_r, inverse_r)
            if np.isfinite(vif).all() and vif.max() <= _WELL_POSED:
                return pd.Series(vif, index=woe.columns, name="vif")
    return pd.Series(_regressed_vif(values), index=woe.columns, name="vif")


# The largest VIF taken from the QR: its error stays near 1e-16 x VIF, and a matrix that far from
# collinear keeps well over the digits a filter at 5 or 10 needs.
_WELL_POSED = 1e8


def _regressed_vif(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """VIF by each column's own least-squares regression on [1, the others]."""
    n_rows, n_cols = values.shape
    vif = np.ones(n_cols)
    # [1, every column but j] in one buffer refilled for each j: the same matrix as stacking a
    # fresh copy each time, without two more rows-by-columns copies alive at once.
    others = np.empty((n_rows, n_cols))
    others[:, 0] = 1.0
    for j in range(1 if n_cols == 1 else 0, n_cols):
        others[:, 1:j + 1] = values[:, :j]
        others[:, j + 1:] = values[:, j + 1:]
        fitted = others @ np.linalg.lstsq(others, values[:, j], rcond=None)[0]
        residual = np.sum((values[:, j] - fitted) ** 2)
        total = np.sum((values[:, j] - values[:, j].mean()) ** 2)
        # An exact linear combination of the others leaves only rounding error: VIF infinite.
        vif[j] = total / residual if residual > 1e-12 * total else np.inf
    return vif


def coefficient_table(model: WoeLogisticRegression, variables: list[str], vif: pd.Series | None = None,
                      inference: WoeLogisticRegression | None = None) -> pd.DataFrame:
    """variable (intercept first), coef, coef_unpenalised, std_err, z, Wald p_value and vif.

    ``inference``: the unpenalised fit on the same columns whose standard errors, z and p-values
    the table reports for a penalised ``model`` (None: ``model``'s own, NaN when penalised)."""
    coef = np.concatenate([model.intercept_, model.coef_[0]])
    source = model if inference is None else inference
    unpenalised = (np.concatenate([source.intercept_, source.coef_[0]]) if source.penalty == "none"
                   else np.full(len(coef), np.nan))
    std_err = source.std_err_
    vif_values = [np.nan] + ([float(vif[v]) for v in variables] if vif is not None
                             else [np.nan] * len(variables))
    return pd.DataFrame({
        "variable": ["intercept", *variables],
        "coef": coef,
        "coef_unpenalised": unpenalised,
        "std_err": std_err,
        "z": unpenalised / std_err,
        "p_value": source.p_values_,
        "vif": vif_values,
    })
