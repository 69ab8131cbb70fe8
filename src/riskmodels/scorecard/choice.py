"""Choices ``fit`` makes on held-out rows of the training data only (never on rows it is scored on).

* **Trend** (``default_monotonic_trend`` a list): each candidate trend is judged over stratified
  ``cv_folds`` folds: the variables that follow the default trend are binned on the other folds,
  their WoE go into a reference logistic regression (L2 with C = 1, scikit-learn's default, on
  all of them), and the held-out criterion (``selection_metric``) is taken on the fold. The
  binning is refitted inside each fold because a WoE fitted on the held-out rows too flatters the
  more flexible trend. Books above ``MAX_CHOICE_ROWS`` are subsampled (stratified) for the choice:
  two binnings of a few thousand rows per fold tell the trends apart, and ten binnings of 200k rows
  would double the fit's time. The best mean wins; a tie goes to the trend listed first.
* **Penalty** (``penalty: auto``): on the characteristics selected with the unpenalised fit, the
  same folds with those characteristics binned inside each, the unpenalised fit and L2 at each of
  ``C_grid``. The best mean wins among the fits whose mean held-out coefficients all keep the
  sign their WoE implies (with ``sign_rule``); a tie goes to the unpenalised fit. The search's own
  criterion would not do here: its WoE is fitted on the held-out rows too, which on the German
  credit data (800 rows) lifted the held-out AUC from 0.78 to 0.83 and hid what shrinkage gains.

Each option tried is kept as a ``ChoiceRow`` (the model's ``choices_`` table).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskmodels.scorecard import binning
from riskmodels.scorecard.config import MonotonicTrend, ScorecardConfig
from riskmodels.scorecard.held_out import (
    check_folds,
    criterion,
    held_out_fit,
    stratified_folds,
    stratified_subsample,
)
from riskmodels.scorecard.search import EXPECTED_COEF_SIGN

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Rows the trend choice bins at most (a stratified subsample above it).
MAX_CHOICE_ROWS = 20_000
# The reference fit the trends are judged with: scikit-learn's (and optbinning's) default C.
REFERENCE_C = 1.0
CHOICE_COLUMNS = ["choice", "option", "held_out", "sd", "chosen", "note"]


@dataclass(frozen=True)
class ChoiceRow:
    choice: str  # "trend" or "penalty"
    option: str  # e.g. "auto_asc_desc", "none", "l2 C=0.3"
    held_out: float  # mean criterion over the folds (higher is better)
    sd: float  # its standard deviation over the folds
    chosen: bool
    note: str = ""


def choice_table(rows: list[ChoiceRow]) -> pd.DataFrame:
    return pd.DataFrame([dataclasses.astuple(row) for row in rows], columns=CHOICE_COLUMNS)


def trend_name(trend: MonotonicTrend | None) -> str:
    return "none" if trend is None else trend


def choose_trend(binned: binning.FoldBinnings, cfg: ScorecardConfig
                 ) -> tuple[MonotonicTrend | None, list[ChoiceRow]]:
    """The default trend of ``cfg.trend_choices`` that scores best held out (module docstring)."""
    candidates = cfg.trend_choices
    variables = [name for name in cfg.features if cfg.follows_default_trend(name)]
    if len(candidates) == 1 or not variables:
        note = "one candidate" if len(candidates) == 1 else "no variable follows the default trend"
        return candidates[0], [ChoiceRow("trend", trend_name(candidates[0]), math.nan, math.nan, True, note)]
    check_folds(binned.y, cfg, "the held-out choice of the default trend")
    folds = _Folds.of(binned, cfg)
    values = [folds.values(cfg.with_default_trend(trend), variables, [REFERENCE_C])[0][0] for trend in candidates]
    best = _best(values, [True] * len(values))
    return candidates[best], [ChoiceRow("trend", trend_name(trend), float(v.mean()), float(v.std(ddof=1)),
                                        i == best, folds.note)
                              for i, (trend, v) in enumerate(zip(candidates, values, strict=True))]


def choose_penalty(binned: binning.FoldBinnings, cfg: ScorecardConfig, selected: list[str]
                   ) -> tuple[float | None, list[ChoiceRow]]:
    """The C of the L2 fit that scores best held out, or None when the unpenalised fit does."""
    check_folds(binned.y, cfg, "the held-out choice of the penalty")
    folds = _Folds.of(binned, cfg)
    options: list[float | None] = [None, *cfg.C_grid]
    values, coefs = folds.values(cfg, selected, [math.inf if C is None else C for C in options], with_coef=True)
    signs_hold = [not cfg.sign_rule or bool((EXPECTED_COEF_SIGN * coef > 0).all()) for coef in coefs]
    best = _best(values, signs_hold)
    return options[best], [
        ChoiceRow("penalty", "none" if C is None else f"l2 C={C:g}", float(v.mean()), float(v.std(ddof=1)),
                  i == best, folds.note if holds else "a mean held-out coefficient against its WOE")
        for i, (C, v, holds) in enumerate(zip(options, values, signs_hold, strict=True))]


def _best(values: list[FloatArray], eligible: list[bool]) -> int:
    """The option of highest mean among the eligible, the first on a tie (the first if none is)."""
    allowed = [i for i, ok in enumerate(eligible) if ok] or [0]
    return max(allowed, key=lambda i: (float(values[i].mean()), -i))


@dataclass(frozen=True)
class _Folds:
    """Stratified folds of (a subsample of) the training rows, each binned on the other folds.

    The folds are ``held_out.stratified_folds`` of the rows, the search's own first folds when
    every row is used: their bins are ``binned``'s already, not fitted again."""

    binned: binning.FoldBinnings
    y: IntArray
    weight: FloatArray | None
    metric: str
    folds: list[tuple[IntArray, IntArray]]  # positions in the (sub)sample
    rows: IntArray  # the (sub)sample's positions in the training rows
    note: str

    @classmethod
    def of(cls, binned: binning.FoldBinnings, cfg: ScorecardConfig) -> _Folds:
        y, weight = binned.y, binned.weight
        rows = stratified_subsample(y, MAX_CHOICE_ROWS, cfg.random_state)
        folds = stratified_folds(y[rows], cfg, "the held-out choices")
        note = f"{len(rows):,} of {len(y):,} rows" if len(rows) < len(y) else ""
        return cls(binned, y[rows], None if weight is None else weight[rows], cfg.selection_metric,
                   folds, rows.astype(np.int64), note)

    def values(self, cfg: ScorecardConfig, variables: list[str], Cs: list[float], with_coef: bool = False
               ) -> tuple[list[FloatArray], list[FloatArray]]:
        """Per C (inf: unpenalised): the criterion on each fold, and the mean coefficients over the
        folds (with_coef; a one-bin variable's coefficient counts as 0 on that fold)."""
        values = np.zeros((len(Cs), len(self.folds)))
        coefs = np.zeros((len(Cs), len(variables)))
        fold_woe = self.binned.woe(cfg, variables, [(self.rows[a], self.rows[b]) for a, b in self.folds])
        for k, ((train, test), (woe_train, woe_test)) in enumerate(zip(self.folds, fold_woe, strict=True)):
            varying = woe_train.std(axis=0) > 0  # a one-bin variable carries nothing
            w_train = None if self.weight is None else self.weight[train]
            w_test = None if self.weight is None else self.weight[test]
            for i, C in enumerate(Cs):
                if varying.any():
                    coef, _, prob = held_out_fit(C, woe_train[:, varying], self.y[train], w_train, woe_test[:, varying])
                    coefs[i, varying] += coef / len(self.folds)
                else:
                    prob = np.full(len(test), np.average(self.y[train], weights=w_train))
                values[i, k] = criterion(self.metric, self.y[test], prob, w_test)
        return list(values), list(coefs) if with_coef else []
