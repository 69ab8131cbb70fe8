"""``selection_method: backward``: start from every survivor of the filters, remove by Wald p,
then while the held-out criterion does not fall, then down to ``max_features``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.scorecard import ScorecardModel

from .conftest import SPECIAL_CODES, noise_book


def test_backward_removes_noise_the_held_out_rows_refuse() -> None:
    X, y = noise_book(600, seed=0)
    # No Wald gate: the held-out criterion alone removes the noise, binned inside each fold.
    model = ScorecardModel(selection_method="backward", fold_binning=True, min_bin_size=0.02, p_max=None).fit(X, y)
    assert model.selected_features_ == ["x"]
    row = model.selection_table_.set_index("variable").loc["noise"]
    assert row["stage"] == "search"
    assert row["reason"].startswith("held-out -log-loss loss ") and "when removed (backward step 1)" in row["reason"]
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
