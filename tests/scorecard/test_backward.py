"""``selection_method: backward``: start from every survivor of the filters, remove by Wald p,
then while the held-out rows show a removal does not hurt (by a corrected standard error), then
down to ``max_features``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskmodels.scorecard import ScorecardConfig, ScorecardModel
from riskmodels.scorecard.config import SMALL_BOOK
from riskmodels.scorecard.held_out import stratified_folds
from riskmodels.scorecard.search import BACKWARD_REPEATS, REMOVAL_SE, Removal

from .conftest import SPECIAL_CODES, noise_book


def test_backward_removes_noise_the_held_out_rows_refuse() -> None:
    X, y = noise_book(600, seed=0)
    # No Wald gate: the held-out criterion alone removes the noise, binned inside each fold.
    model = ScorecardModel(selection_method="backward", fold_binning=True, min_bin_size=0.02, p_max=None).fit(X, y)
    assert model.selected_features_ == ["x"]
    row = model.selection_table_.set_index("variable").loc["noise"]
    assert row["stage"] == "search"
    assert row["reason"].startswith("removing it raises the held-out -log-loss by +")
    assert row["reason"].endswith("(backward step 1)")
    path = model.selection_path_
    assert path.loc[path["action"] == "remove", "variable"].tolist() == ["noise"]


def test_backward_ends_significant_and_explains_every_removal(dev_data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = dev_data
    model = ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES, iv_min=0.0,
                           selection_method="backward").fit(X, y)
    assert "noise" not in model.selected_features_
    assert (model.coef_table_["p_value"].iloc[1:] <= 0.05).all()
    table = model.selection_table_.set_index("variable")
    dropped = table[table["status"] == "dropped"]
    assert (dropped["reason"] != "").all()
    # What the search removed is on its path, in the order removed.
    removed = model.selection_path_.query("action == 'remove'")["variable"].tolist()
    assert set(removed) == set(dropped.index[dropped["reason"].str.contains("backward step")])


def test_backward_cap_removes_the_least_useful_first(dev_data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = dev_data
    common = {"categorical_features": ["industry"], "special_codes": SPECIAL_CODES, "selection_method": "backward"}
    free = ScorecardModel(**common).fit(X, y)
    capped = ScorecardModel(**common, max_features=2).fit(X, y)
    assert len(free.selected_features_) > 2
    assert len(capped.selected_features_) == 2
    table = capped.selection_table_.set_index("variable")
    over = table[table["stage"] == "max_features"]
    assert over["reason"].str.startswith("max_features 2 exceeded").all()
    # The cap removes only what the uncapped search kept, and every one of those it does not keep.
    filtered = set(free.selection_table_.query("stage in ('binning', 'iv', 'corr', 'vif')")["variable"])
    removed = set(free.selection_path_.query("action == 'remove'")["variable"])
    kept_by_free_search = set(free.selection_table_["variable"]) - filtered - removed
    assert set(over.index) == kept_by_free_search - set(capped.selected_features_)


def test_removal_needs_a_gain_beyond_the_corrected_standard_error() -> None:
    # Five folds' paired gains of removing a characteristic: positive on average, but noisy.
    gains = np.array([0.004, -0.003, 0.002, -0.001, 0.003])
    removal = Removal.of(gains, cv_folds=5)
    sd = gains.std(ddof=1)
    # Nadeau and Bengio: the folds share training rows, so 1/n becomes 1/n + n_test/n_train.
    assert math.isclose(removal.se, sd * math.sqrt(1 / 5 + 1 / 4))
    assert removal.se > sd / math.sqrt(5)
    assert removal.mean > 0 and not removal.clears(min_gain=0.0)  # within the noise: kept
    assert removal.clears(min_gain=REMOVAL_SE * removal.se)  # unless min_gain tolerates that loss
    steady = Removal.of(np.full(5, 0.002) + np.array([0.0, 1e-4, -1e-4, 2e-4, -2e-4]), cv_folds=5)
    assert steady.clears(min_gain=0.0)  # every fold agrees: removed


def test_backward_folds_are_the_search_folds_repeated() -> None:
    y = np.tile([0, 0, 0, 1], 50)
    cfg = ScorecardConfig(features=["x"], cv_folds=5, random_state=3)
    once = stratified_folds(y, cfg)
    repeated = stratified_folds(y, cfg, repeats=BACKWARD_REPEATS)
    assert len(repeated) == cfg.cv_folds * BACKWARD_REPEATS
    for (train, test), (train_r, test_r) in zip(once, repeated[:cfg.cv_folds], strict=True):
        assert np.array_equal(train, train_r) and np.array_equal(test, test_r)
    # Each repeat tests every row once, with each fold's event rate that of y.
    tested = np.concatenate([test for _, test in repeated])
    assert np.array_equal(np.bincount(tested, minlength=len(y)), np.full(len(y), BACKWARD_REPEATS))
    assert all(y[test].mean() == y.mean() for _, test in repeated)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(repeated[:5], repeated[5:], strict=True))


def test_small_book_setting_refuses_noise_and_ends_significant() -> None:
    # The named setting lets every characteristic past the IV filter; the noise must still go.
    X, y = noise_book(800, seed=2)
    model = ScorecardModel(**SMALL_BOOK, min_bin_size=0.02).fit(X, y)
    assert model.selected_features_ == ["x"]
    assert model.monotonic_trend_ == "auto"
    assert (model.coef_table_["p_value"].iloc[1:] <= 0.05).all()
    assert model.selection_table_.set_index("variable").loc["noise", "stage"] in ("search", "significance")
