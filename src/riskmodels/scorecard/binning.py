"""Optimal binning of the candidate characteristics with optbinning's ``BinningProcess``.

Conventions taken from optbinning 1.0.0 (``binning/transformations.py``), which the compiled
scorer reproduces:

* WoE of a bin is ``ln(share of goods / share of bads)``: a *higher* WoE means *lower* risk.
* Bins with no goods or no bads (including empty special and missing bins) get WoE 0.
* A numeric value equal to a split point falls in the bin to its right
  (``np.digitize(..., right=False)``).
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from optbinning import BinningProcess, OptimalBinning
from pandas.errors import Pandas4Warning

from riskmodels.scorecard.config import ScorecardConfig

logger = logging.getLogger(__name__)

# Special and missing bins carry their own observed WoE (optbinning's default is 0, which
# would throw away what "never overdue" or "not reported" says about risk).
EMPIRICAL = "empirical"
SOLVED = ("OPTIMAL", "FEASIBLE")


@contextmanager
def optbinning_pandas_deprecations() -> Iterator[None]:
    """Silence the two pandas-4 deprecations optbinning 1.0.0 triggers under pandas 3.1
    (a string "Totals" row set into float columns; ``reset_index(inplace=True)``). Both are
    inside optbinning's table building and change nothing today; they need an optbinning
    release before pandas 4."""
    with warnings.catch_warnings():
        for message in ("Setting an item of incompatible dtype",
                        "The inplace keyword in DataFrame.reset_index"):
            warnings.filterwarnings("ignore", message=message, category=Pandas4Warning,
                                    module="optbinning")
        yield


def special_code_bins(cfg: ScorecardConfig, name: str) -> dict[str, list[Any]]:
    """optbinning's ``special_codes`` of one variable: meaning -> codes (one bin per meaning)."""
    bins: dict[str, list[Any]] = {}
    numeric = name not in cfg.categorical_features
    for code, meaning in cfg.special_codes.get(name, {}).items():
        bins.setdefault(meaning, []).append(_numeric_code(name, code) if numeric else code)
    return bins


def _numeric_code(name: str, code: Any) -> float:
    # A JSON config spells the key -1 as "-1"; a numeric variable needs the number.
    try:
        return float(code)
    except ValueError as exc:
        raise ValueError(f"special code {code!r} of numeric variable {name!r} is not a number") from exc


def variable_fit_params(cfg: ScorecardConfig, name: str) -> dict[str, Any]:
    """The per-variable options handed to optbinning's ``OptimalBinning``."""
    params: dict[str, Any] = {"monotonic_trend": cfg.trend_of(name)}
    specials = special_code_bins(cfg, name)
    if specials:
        params["special_codes"] = specials
    if name in cfg.user_splits:
        splits = cfg.user_splits[name]
        params["user_splits"] = splits
        params["user_splits_fixed"] = [True] * len(splits)
        # Fixed splits rarely also satisfy a minimum bin size; the user owns this binning.
        params["min_bin_size"] = None
    return params


class DeferredStatisticsBinningProcess(BinningProcess):  # type: ignore[misc]  # optbinning is untyped
    """optbinning's ``BinningProcess``, except that a fit without ``selection_criteria`` or
    ``fixed_variables`` computes no per-variable statistics (IV, Gini, divergences and the quality
    score's tests between bins): ``summary()`` computes them, the same, when asked.

    optbinning computes them on every fit to select on, and we select ourselves
    (``scorecard.selection``, with IV from ``information_values``). A scorecard fit runs ten
    processes (the card, the search's folds, the calibration's refits), and the statistics nobody
    read took about a tenth of the A card's fit. Overrides optbinning 1.0.0's private
    ``_binning_selection_criteria`` (optbinning is pinned in constraints.txt); the test against
    the stock process (``tests/scorecard/test_binning_statistics.py``) catches a release that
    moves it."""

    def _binning_selection_criteria(self) -> None:
        if self.selection_criteria is not None or self.fixed_variables is not None:
            super()._binning_selection_criteria()
            return
        self._support = np.full(self._n_variables, True, dtype=bool)
        self._is_updated = True  # the statistics are owed: summary() computes them first

    def summary(self) -> pd.DataFrame:
        if self._is_updated:
            super()._binning_selection_criteria()
            self._is_updated = False
        summary: pd.DataFrame = super().summary()
        return summary


def make_binning_process(cfg: ScorecardConfig, variables: Sequence[str]) -> BinningProcess:
    """An unfitted ``BinningProcess`` over ``variables`` with the config's options."""
    return DeferredStatisticsBinningProcess(
        variable_names=list(variables),
        categorical_variables=[v for v in variables if v in cfg.categorical_features] or None,
        min_bin_size=cfg.min_bin_size,
        # optbinning pre-bins at 5% by default, which would hide a rarer but strong flag
        # (tax arrears, enforcements) whatever min_bin_size allows.
        min_prebin_size=cfg.min_bin_size,
        binning_fit_params={v: variable_fit_params(cfg, v) for v in variables},
    )


def fit_binning_process(X: pd.DataFrame, y: np.ndarray, cfg: ScorecardConfig,
                        variables: Sequence[str]) -> BinningProcess:
    process = make_binning_process(cfg, variables)
    with optbinning_pandas_deprecations():
        process.fit(as_binning_input(X, variables, cfg), y)
    for name in variables:
        status = process.get_binned_variable(name).status
        if status not in SOLVED:
            logger.warning("binning of %r ended %s; it is left with a single bin", name, status)
    return process


def as_binning_input(X: pd.DataFrame, variables: Sequence[str], cfg: ScorecardConfig) -> pd.DataFrame:
    """The columns optbinning bins; pandas ``category`` columns become plain objects because
    optbinning compares raw values, not category codes."""
    frame = X.loc[:, list(variables)]
    for name in variables:
        if name in cfg.categorical_features and isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(object)
    return frame


def binning_status(process: BinningProcess, name: str) -> str:
    return str(process.get_binned_variable(name).status)


def information_values(process: BinningProcess, variables: Sequence[str]) -> pd.Series:
    """Information value of each variable's binning (special and missing bins included)."""
    values = {}
    for name in variables:
        table = process.get_binned_variable(name).binning_table
        table.build(add_totals=False)  # computes the IV
        values[name] = float(table.iv)
    return pd.Series(values, name="iv")


def woe_frame(process: BinningProcess, X: pd.DataFrame, variables: Sequence[str],
              cfg: ScorecardConfig) -> pd.DataFrame:
    """WoE of every row and variable, special and missing bins at their observed WoE.

    Each column is the variable's own ``OptimalBinning.transform``, as ``BinningProcess.transform``
    computes it, written into one float matrix that the frame wraps without a copy: the process's
    transform builds every candidate's matrix and pandas copies it (a million-row B card holds
    4M training rows), and a single block lets ``to_numpy`` return a view. The matrix is in
    column order, pandas' own: the held-out search gathers a few columns of it at a time."""
    names = list(variables)
    woe = _woe_matrix([process.get_binned_variable(name) for name in names], as_binning_input(X, names, cfg), names)
    return pd.DataFrame(woe, columns=names, index=X.index, copy=False)


def _woe_matrix(binned: Sequence[OptimalBinning], frame: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The WoE of ``frame``'s ``names`` columns under their binnings, one column each, in column order."""
    woe = np.empty((len(frame), len(names)), order="F")
    for i, (name, variable) in enumerate(zip(names, binned, strict=True)):
        woe[:, i] = variable.transform(frame[name], metric="woe", metric_special=EMPIRICAL, metric_missing=EMPIRICAL)
    return woe


def same_bins(first: BinningProcess, second: BinningProcess, variables: Sequence[str]) -> bool:
    """Whether two processes bin ``variables`` alike: the same splits, and the same WoE per bin
    (to 1e-12), so they give every row the same WoE; decided on the bins, not on the rows."""
    for name in variables:
        a, b = first.get_binned_variable(name), second.get_binned_variable(name)
        woe_a, woe_b = (np.asarray(v.binning_table.build(add_totals=False)["WoE"], dtype=float) for v in (a, b))
        if not (_splits_key(a.splits) == _splits_key(b.splits) and woe_a.shape == woe_b.shape
                and np.allclose(woe_a, woe_b, rtol=0, atol=1e-12)):
            return False
    return True


def _splits_key(splits: Any) -> list[Any]:
    # Numeric splits are floats; a categorical variable's are arrays of categories, one per bin.
    return [float(split) if np.ndim(split) == 0 else [str(c) for c in split] for split in splits]


def binning_tables(process: BinningProcess, variables: Sequence[str] | None = None,
                   show_digits: int = 4) -> dict[str, pd.DataFrame]:
    """optbinning's binning table (with totals) of each variable, for reports."""
    names = process.variable_names if variables is None else variables
    with optbinning_pandas_deprecations():
        return {name: process.get_binned_variable(name).binning_table.build(show_digits=show_digits)
                for name in names}


class FoldBinnings:
    """Bins fitted on folds' training rows of one frame, kept for the fit that asks for them.

    ``woe`` answers per fold (train rows, test rows, as positions in ``X``) the WoE of each
    variable on both, binned with the config's options on the train rows only. optbinning bins
    each variable on its own, so a variable binned once on a fold's rows with the same options
    is not binned again: the penalty choice judges the selected characteristics on the search's
    own first folds (``choice``), which had binned them all."""

    def __init__(self, X: pd.DataFrame, y: np.ndarray, weight: np.ndarray | None) -> None:
        self.X, self.y, self.weight = X, y, weight
        self._fitted: dict[tuple[str, str, bytes], OptimalBinning] = {}

    def woe(self, cfg: ScorecardConfig, variables: Sequence[str], folds: Sequence[tuple[np.ndarray, np.ndarray]]
            ) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for train, test in folds:
            rows = hashlib.blake2b(np.ascontiguousarray(train, dtype=np.int64).tobytes(), digest_size=16).digest()
            keys = {name: (name, _options_key(cfg, name), rows) for name in variables}
            new = [name for name in variables if keys[name] not in self._fitted]
            if new:
                process = make_binning_process(cfg, new)
                with optbinning_pandas_deprecations():
                    process.fit(as_binning_input(self.X.iloc[train], new, cfg), self.y[train],
                                sample_weight=None if self.weight is None else self.weight[train])
                self._fitted.update({keys[name]: process.get_binned_variable(name) for name in new})
            binned = [self._fitted[keys[name]] for name in variables]
            out.append((_woe_matrix(binned, as_binning_input(self.X.iloc[train], variables, cfg), variables),
                        _woe_matrix(binned, as_binning_input(self.X.iloc[test], variables, cfg), variables)))
        return out


def _options_key(cfg: ScorecardConfig, name: str) -> str:
    """Everything ``make_binning_process`` bins ``name`` with, as one comparable string."""
    return repr((name in cfg.categorical_features, cfg.min_bin_size, sorted(variable_fit_params(cfg, name).items())))
