"""Above ``MAX_SEARCH_ROWS`` training rows the held-out search judges on a stratified subsample:
the same search as on those rows alone, with fold binning done on the caller's own rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from riskmodels.scorecard import ScorecardConfig, held_out, search


def _book(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    woe = rng.normal(size=(n, 5))
    woe[:, 4] = 0.8 * woe[:, 0] + 0.2 * rng.normal(size=n)  # a proxy of the strongest
    log_odds = -1.5 - 0.9 * woe[:, 0] - 0.5 * woe[:, 1] - 0.25 * woe[:, 2]  # WoE falls as risk rises
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-log_odds))).astype(np.int64)
    return pd.DataFrame(woe, columns=[f"c{j}" for j in range(5)]), y


def _cfg(method: str) -> ScorecardConfig:
    return ScorecardConfig(features=[f"c{j}" for j in range(5)], selection_method=method, p_max=None,
                           penalty="none", random_state=4)


@given(n=st.integers(2, 3_000), rate=st.floats(0.02, 0.98), cap=st.integers(20, 2_000), seed=st.integers(0, 9))
@settings(max_examples=60, deadline=None)
def test_the_subsample_keeps_the_event_rate_and_the_row_order(n: int, rate: float, cap: int, seed: int) -> None:
    y = (np.random.default_rng(seed).random(n) < rate).astype(np.int64)
    assume(n <= cap or np.bincount(y, minlength=2).min() >= 2)  # a stratified split needs two rows of each class
    rows = held_out.stratified_subsample(y, cap, seed)
    assert len(rows) == min(n, cap)
    assert (np.diff(rows) > 0).all() and rows[0] >= 0 and rows[-1] < n
    # Stratified: the subsample's count of events is the book's share of it, to the nearest row.
    assert abs(y[rows].sum() - y.mean() * len(rows)) <= 1


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_a_book_above_the_cap_is_searched_as_its_subsample_alone(monkeypatch: pytest.MonkeyPatch,
                                                                   method: str) -> None:
    woe, y = _book(3_000, seed=2)
    cfg = _cfg(method)
    searcher = search.search if method == "forward" else search.backward_search

    def no_wald(names: list[str]) -> pd.Series:
        raise AssertionError("p_max is None: no Wald p-value is asked for")

    monkeypatch.setattr(held_out, "MAX_SEARCH_ROWS", 1_200)
    capped = searcher(woe, y, None, cfg, no_wald)
    rows = held_out.stratified_subsample(y, 1_200, cfg.random_state)
    monkeypatch.setattr(held_out, "MAX_SEARCH_ROWS", 10_000)
    alone = searcher(woe.iloc[rows].reset_index(drop=True), y[rows], None, cfg, no_wald)
    every_row = searcher(woe, y, None, cfg, no_wald)

    assert capped.entered == alone.entered
    pd.testing.assert_frame_equal(capped.path, alone.path)
    # The cap changes what is judged: even the intercept's held-out value is not that of every row.
    assert capped.path["held_out"].iloc[0] != pytest.approx(every_row.path["held_out"].iloc[0], rel=1e-6)
    assert {"c0", "c1"} <= set(capped.entered)


def test_fold_binning_is_given_the_callers_rows_of_each_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    woe, y = _book(2_000, seed=3)
    monkeypatch.setattr(held_out, "MAX_SEARCH_ROWS", 700)
    given_folds: list[tuple[np.ndarray, np.ndarray]] = []

    def fold_woe(names: list[str], folds: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
        given_folds.extend(folds)
        matrix = woe[names].to_numpy()
        return [(matrix[train], matrix[test]) for train, test in folds]

    judge = held_out.HeldOut.from_config(woe, y, None, _cfg("forward"), fold_woe)
    rows = held_out.stratified_subsample(y, 700, 4)
    assert len(judge.y) == 700 and len(given_folds) == len(judge.folds) == 5
    for (train, test), (given_train, given_test) in zip(judge.folds, given_folds, strict=True):
        # The binner reads the caller's rows; the fits read the subsample's labels of the same rows.
        np.testing.assert_array_equal(given_train, rows[train])
        np.testing.assert_array_equal(y[given_train], judge.y[train])
        np.testing.assert_array_equal(y[given_test], judge.y[test])
    np.testing.assert_array_equal(np.sort(np.concatenate([test for _, test in given_folds])), rows)
    # Binned on the caller's rows, the fold matrices are those rows' WoE.
    np.testing.assert_array_equal(judge.fold_woe[0][1], woe.to_numpy()[given_folds[0][1]])
