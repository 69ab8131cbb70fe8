"""Bins fitted inside held-out folds are kept for the fit: the same variable, options and fold
rows are binned once, and what comes back is what a process fitted on the fold would give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from optbinning import OptimalBinning

from riskmodels.scorecard import ScorecardModel, binning, model
from riskmodels.scorecard.config import SMALL_BOOK, ScorecardConfig
from riskmodels.scorecard.held_out import stratified_folds
from tests.scorecard.conftest import BINNED


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows of every ``OptimalBinning`` fit from here on (optbinning's, counted, not replaced)."""
    seen: list[int] = []
    fit = OptimalBinning.fit

    def counted(self: OptimalBinning, x: object, y: np.ndarray, *args: object, **kwargs: object) -> OptimalBinning:
        seen.append(len(y))
        return fit(self, x, y, *args, **kwargs)

    monkeypatch.setattr(OptimalBinning, "fit", counted)
    return seen


def test_each_fold_is_binned_as_a_process_fitted_on_its_training_rows(
        binning_book: tuple[pd.DataFrame, np.ndarray, ScorecardConfig]) -> None:
    X, y, cfg = binning_book
    folds = stratified_folds(y, cfg)
    kept = binning.FoldBinnings(X, y, None)
    kept.woe(cfg, ["noise", "leverage"], folds)  # some variables first, the rest later
    got = kept.woe(cfg, BINNED, folds)
    for (train, test), (woe_train, woe_test) in zip(folds, got, strict=True):
        process = binning.fit_binning_process(X.iloc[train], y[train], cfg, BINNED)
        np.testing.assert_array_equal(woe_train, binning.woe_frame(process, X.iloc[train], BINNED, cfg).to_numpy())
        np.testing.assert_array_equal(woe_test, binning.woe_frame(process, X.iloc[test], BINNED, cfg).to_numpy())


def test_a_variable_is_binned_once_per_fold_rows_and_options(
        binning_book: tuple[pd.DataFrame, np.ndarray, ScorecardConfig], fits: list[int]) -> None:
    X, y, cfg = binning_book
    folds = stratified_folds(y, cfg)
    kept = binning.FoldBinnings(X, y, None)
    kept.woe(cfg, BINNED, folds)
    assert len(fits) == len(BINNED) * len(folds)
    kept.woe(cfg, ["utilisation", "industry"], folds[:2])
    assert len(fits) == len(BINNED) * len(folds)  # nothing new to bin
    kept.woe(cfg.with_default_trend("descending"), ["utilisation", "industry"], folds[:2])
    # utilisation follows the default trend, so it is binned again; a category has no trend option
    # of its own but is binned under the new default too, as the process would bin it.
    assert len(fits) == len(BINNED) * len(folds) + 2 * 2
    other_rows = stratified_folds(y, cfg.model_copy(update={"random_state": 1}))[:1]
    kept.woe(cfg, ["leverage"], other_rows)
    assert fits[-1] == len(other_rows[0][0])  # other rows: binned on them


def test_the_penalty_choice_bins_nothing_the_search_had_binned(
        binning_book: tuple[pd.DataFrame, np.ndarray, ScorecardConfig], fits: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    X, y, _ = binning_book
    during_choice: list[int] = []
    choose = model.choose_penalty

    def watched(*args: object, **kwargs: object) -> object:
        before = len(fits)
        chosen = choose(*args, **kwargs)  # type: ignore[arg-type]
        during_choice.append(len(fits) - before)
        return chosen

    monkeypatch.setattr(model, "choose_penalty", watched)
    fitted = ScorecardModel(features=BINNED, categorical_features=["industry"], **SMALL_BOOK).fit(X[BINNED], y)
    assert during_choice == [0]
    assert len(fitted.selected_features_) >= 2  # a choice over characteristics the search kept
    assert "penalty" in set(fitted.choices_["choice"])
