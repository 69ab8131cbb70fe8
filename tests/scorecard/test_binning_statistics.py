"""The binning process a scorecard fits leaves optbinning's per-variable statistics until they are
asked for, and bins exactly as optbinning's own process does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from optbinning import BinningProcess
from optbinning.binning.binning_statistics import BinningTable
from sklearn.base import clone

from riskmodels.scorecard import binning
from riskmodels.scorecard.config import ScorecardConfig
from tests.scorecard.conftest import BINNED


def _stock(cfg: ScorecardConfig, **options: object) -> BinningProcess:
    """optbinning's own process with the options ours is made with."""
    ours = binning.make_binning_process(cfg, cfg.features)
    return BinningProcess(**{**ours.get_params(deep=False), **options})


def test_the_process_bins_and_summarises_as_optbinnings_own(binning_book: tuple[pd.DataFrame, np.ndarray, ScorecardConfig],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    X, y, cfg = binning_book
    analysed: list[BinningTable] = []
    analysis = BinningTable.analysis
    monkeypatch.setattr(BinningTable, "analysis", lambda table, *a, **k: analysed.append(table) or analysis(table, *a, **k))
    ours = binning.fit_binning_process(X, y, cfg, cfg.features)
    assert not analysed  # the quality statistics' tests are left until asked for
    stock = _stock(cfg).fit(binning.as_binning_input(X, cfg.features, cfg), y)
    assert len(analysed) == len(BINNED)  # optbinning's own process runs them on every fit
    assert binning.same_bins(ours, stock, cfg.features)
    np.testing.assert_array_equal(binning.woe_frame(ours, X, cfg.features, cfg).to_numpy(),
                                  binning.woe_frame(stock, X, cfg.features, cfg).to_numpy())
    assert list(ours.get_support(names=True)) == BINNED
    # The statistics the fit left are computed when asked, and are optbinning's.
    pd.testing.assert_frame_equal(ours.summary(), stock.summary())
    assert ours.summary().equals(stock.summary())  # asked again: not computed twice into something else


def test_a_process_that_selects_still_computes_the_statistics_on_fit(
        binning_book: tuple[pd.DataFrame, np.ndarray, ScorecardConfig]) -> None:
    X, y, cfg = binning_book
    criteria = {"iv": {"min": 0.05}}
    ours = clone(binning.make_binning_process(cfg, cfg.features)).set_params(selection_criteria=criteria)
    frame = binning.as_binning_input(X, cfg.features, cfg)
    ours.fit(frame, y)
    stock = _stock(cfg, selection_criteria=criteria).fit(frame, y)
    assert type(ours) is type(binning.make_binning_process(cfg, cfg.features))  # clone keeps the class
    assert list(ours.get_support(names=True)) == list(stock.get_support(names=True))
    assert "noise" not in ours.get_support(names=True)
    pd.testing.assert_frame_equal(ours.summary(), stock.summary())
