"""The held-out criterion the characteristic search judges by: logistic fits on stratified folds
of the training rows, each scored on the rows it did not see (``HeldOut``).

The fits are scikit-learn's, unpenalised or L2. Each fit of a column set plus one starts from the
fit without that column (the search adds one at a time), and the criterion, the AUC or minus the
log-loss, is computed here on the fits' arrays.

Above ``MAX_SEARCH_ROWS`` training rows, the held-out fits and the score statistic work on a
stratified subsample of that many rows (with 5 folds, 200,000 held-out rows each), which bounds
their memory and time: on every row of a million-application B card (4.3M snapshots) the fold
fits held a copy of the candidates' WoE per fold and took most of its training time. The card's
own fits, and so its Wald p-values, coefficients and points, use every row.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, StratifiedShuffleSplit

from riskmodels.scorecard.config import ScorecardConfig

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Bins the named characteristics inside each fold: per fold, the WoE of its (train, test) rows.
FoldWoe = Callable[[list[str], list[tuple[IntArray, IntArray]]], list[tuple[FloatArray, FloatArray]]]
# Training rows the held-out search judges on at most (a stratified subsample above it; module
# docstring). A 200k-application book's B card (870k snapshots) is judged on every row.
MAX_SEARCH_ROWS = 1_000_000


@dataclass(frozen=True)
class HeldOut:
    """The held-out criterion (higher is better) of logistic fits on columns of ``woe``.

    ``fold_woe`` (one (train rows, test rows) pair of WoE matrices per fold, binned on the
    fold's training rows): the fits and scores use it instead of ``woe``, whose bins saw the
    held-out rows too and so flatter a characteristic with overfitted bins.

    ``from_config`` above ``MAX_SEARCH_ROWS``: ``woe``, ``y``, ``weight`` and ``folds`` are the
    subsample's (a copy of its rows), not the caller's."""

    woe: FloatArray
    y: IntArray
    weight: FloatArray | None
    folds: list[tuple[IntArray, IntArray]]
    metric: str
    C: float
    fold_woe: list[tuple[FloatArray, FloatArray]] | None = None
    # Per (fold, columns fitted): the fit's (coefficients, intercept). A fit of those columns plus
    # one starts from it, the new coefficient at 0: the search adds one column at a time.
    fits: dict[tuple[int, tuple[int, ...]], tuple[FloatArray, float]] = field(default_factory=dict)
    # Per (fold, column): whether the column takes more than one value on the fold's training rows.
    varies: dict[tuple[int, int], bool] = field(default_factory=dict)

    @classmethod
    def from_config(cls, woe: pd.DataFrame, y: IntArray, weight: FloatArray | None, cfg: ScorecardConfig,
                    fold_woe: FoldWoe | None = None, repeats: int = 1) -> HeldOut:
        rows = stratified_subsample(y, MAX_SEARCH_ROWS, cfg.random_state)
        matrix = woe.to_numpy(dtype=float)
        if len(rows) < len(y):
            logger.info("held-out search on a stratified %s of %s training rows", f"{len(rows):,}", f"{len(y):,}")
            matrix, y, weight = _rows_of(matrix, rows), y[rows], None if weight is None else weight[rows]
        # Each fit gathers its few columns' fold rows: from column order about 3x faster.
        matrix = np.asfortranarray(matrix)
        folds = stratified_folds(y, cfg, repeats=repeats)
        # fold_woe bins the caller's rows: its folds are given in their positions.
        binned = None if fold_woe is None else fold_woe(list(woe.columns), [(rows[a], rows[b]) for a, b in folds])
        # penalty auto selects with the unpenalised fit; its penalty is chosen afterwards.
        return cls(matrix, y, weight, folds, cfg.selection_metric, cfg.C if cfg.penalty == "l2" else math.inf, binned)

    def __call__(self, columns: Sequence[int]) -> tuple[float, FloatArray]:
        """(mean criterion over the folds, mean coefficient of each column over the folds)."""
        values, mean_coef = self.fold_values(columns)
        return float(np.mean(values)), mean_coef

    def fold_values(self, columns: Sequence[int]) -> tuple[FloatArray, FloatArray]:
        """(the criterion on each fold, mean coefficient of each column over the folds; a column
        binned into one bin on a fold carries nothing there, and its coefficient counts as 0)."""
        values = np.zeros(len(self.folds))
        mean_coef = np.zeros(len(columns))
        cols = np.asarray(columns, dtype=np.intp)
        for k, (train, test) in enumerate(self.folds):
            w_train = None if self.weight is None else self.weight[train]
            w_test = None if self.weight is None else self.weight[test]
            varying = np.array([self._varies(k, j) for j in cols], dtype=bool)
            if varying.any():
                used = cols[varying]
                if self.fold_woe is None:
                    columns_used = self.woe[:, used]
                    x_train, x_test = columns_used[train], columns_used[test]
                else:
                    x_train, x_test = self.fold_woe[k][0][:, used], self.fold_woe[k][1][:, used]
                fitted = tuple(used.tolist())
                start = self.fits.get((k, fitted[:-1]))
                coef, intercept, prob = held_out_fit(self.C, x_train, self.y[train], w_train, x_test, start)
                self.fits[(k, fitted)] = (coef, intercept)
                mean_coef[varying] += coef / len(self.folds)
            else:
                prob = np.full(len(test), np.average(self.y[train], weights=w_train))
            values[k] = criterion(self.metric, self.y[test], prob, w_test)
        return values, mean_coef

    def _varies(self, fold: int, column: int) -> bool:
        """A column binned into one bin on a fold's training rows carries nothing there."""
        if (fold, column) not in self.varies:
            values = (self.woe[:, column][self.folds[fold][0]] if self.fold_woe is None
                      else self.fold_woe[fold][0][:, column])
            self.varies[(fold, column)] = bool(values.max() > values.min())
        return self.varies[(fold, column)]


def _rows_of(matrix: FloatArray, rows: npt.NDArray[np.int64]) -> FloatArray:
    """``matrix[rows]`` in column order, built a column at a time (no second copy of the rows)."""
    out = np.empty((len(rows), matrix.shape[1]), order="F")
    for j in range(matrix.shape[1]):
        out[:, j] = matrix[:, j][rows]
    return out


def stratified_folds(y: IntArray, cfg: ScorecardConfig, purpose: str = "", repeats: int = 1
                     ) -> list[tuple[IntArray, IntArray]]:
    """The ``cv_folds`` stratified folds (train rows, test rows) every held-out judgement uses,
    ``repeats`` times over (reshuffled; the first repeat is the unrepeated folds)."""
    check_folds(y, cfg, purpose)
    splitter = (StratifiedKFold(n_splits=cfg.cv_folds, shuffle=True, random_state=cfg.random_state) if repeats == 1
                else RepeatedStratifiedKFold(n_splits=cfg.cv_folds, n_repeats=repeats, random_state=cfg.random_state))
    return [(train.astype(np.int64), test.astype(np.int64)) for train, test in splitter.split(np.zeros(len(y)), y)]


def criterion(metric: str, y: IntArray, prob: FloatArray, weight: FloatArray | None) -> float:
    """The held-out criterion, higher is better: the AUC or minus the log-loss.

    Both are computed here on the arrays the fits gave (equal to scikit-learn's ``roc_auc_score``
    and ``log_loss`` to rounding, which the tests check): scikit-learn's checks of its inputs took
    a quarter of the held-out search's time on a 50,000-application A card."""
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    if metric == "roc_auc":
        return _auc(y, prob, w)
    eps = np.finfo(float).eps  # each class's probability clipped as scikit-learn clips it
    log_bad, log_good = np.log(np.clip(prob, eps, 1 - eps)), np.log(np.clip(1 - prob, eps, 1 - eps))
    return float(np.average(np.where(y == 1, log_bad, log_good), weights=w))


def _auc(y: IntArray, prob: FloatArray, w: FloatArray) -> float:
    """Weighted AUC, ties counting half: over the distinct probabilities in rising order, each
    one's bad weight times the good weight below it plus half the good weight at it."""
    order = np.argsort(prob, kind="stable")
    p, bad = prob[order], w[order] * y[order]
    good = w[order] - bad
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    bad_at, good_at = np.add.reduceat(bad, starts), np.add.reduceat(good, starts)
    good_below = np.cumsum(good_at) - good_at
    return float((bad_at * (good_below + 0.5 * good_at)).sum() / (bad_at.sum() * good_at.sum()))


def stratified_subsample(y: IntArray, max_rows: int, seed: int) -> npt.NDArray[np.int64]:
    """Positions of at most ``max_rows`` rows, in order, with ``y``'s event rate (all rows if fewer)."""
    if len(y) <= max_rows:
        return np.arange(len(y), dtype=np.int64)
    split = StratifiedShuffleSplit(n_splits=1, train_size=max_rows, random_state=seed)
    rows, _ = next(split.split(np.zeros(len(y)), y))
    return np.sort(rows).astype(np.int64)


def check_folds(y: IntArray, cfg: ScorecardConfig, purpose: str = "") -> None:
    """Each held-out fold needs both classes."""
    smallest = int(np.bincount(y, minlength=2).min())
    if smallest < cfg.cv_folds:
        purpose = purpose or f"the held-out search (selection_method {cfg.selection_method!r})"
        raise ValueError(f"each class must have at least cv_folds={cfg.cv_folds} rows for {purpose}; got {smallest}")


def logistic(C: float) -> LogisticRegression:
    """scikit-learn's logistic regression for the held-out fits (C inf: unpenalised). Its
    tolerance on the gradient is 1e-6, not the default 1e-4: a fit warm-started near the optimum
    meets 1e-4 after one Newton step, with coefficients still 2e-4 away from it (cold fits
    overshoot the default by far); at 1e-6 a warm fit takes two steps and lands within 1e-7."""
    return LogisticRegression(C=C, l1_ratio=0.0, solver="newton-cholesky", tol=1e-6, max_iter=200)


def held_out_fit(C: float, x_train: FloatArray, y_train: IntArray, w_train: FloatArray | None,
                 x_test: FloatArray, start: tuple[FloatArray, float] | None = None
                 ) -> tuple[FloatArray, float, FloatArray]:
    """(coefficients, intercept, PDs of the test rows) of one held-out fit.

    ``start``: the fit of all the columns but the last, whose coefficient starts at 0 (the
    solver's warm start; Newton's steps from there are fewer). The search makes thousands of
    these fits on finite WoE it built itself, so scikit-learn's per-call checks of its parameters
    and of finite inputs are skipped (``config_context``)."""
    model = logistic(C)
    if start is not None:
        model.set_params(warm_start=True)
        model.coef_, model.intercept_ = np.append(start[0], 0.0)[None, :], np.array([start[1]])
    with config_context(assume_finite=True, skip_parameter_validation=True):
        model.fit(x_train, y_train, sample_weight=w_train)
        prob = model.predict_proba(x_test)[:, 1]
    return model.coef_[0], float(model.intercept_[0]), prob
