"""The search's held-out criterion and the IV pre-filter: which characteristics they let in.

* ``fold_binning``: a characteristic binned on every training row is judged on held-out rows its
  bins have seen, which flatters overfitted bins; binned inside each fold, it is judged honestly.
* ``iv_min``: IV measures a characteristic alone; one that says little alone but much beside
  another (a suppressor) needs ``iv_min`` 0, and then ``fold_binning`` to keep noise out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.scorecard import ScorecardModel

from .conftest import noise_book


@pytest.mark.parametrize("seed", [0, 1])
def test_overfitted_bins_flatter_noise_only_when_binned_on_the_held_out_rows_too(seed: int) -> None:
    X, y = noise_book(600, seed)
    # Small bins let the categories be grouped by their observed bad rate; no Wald gate, so the
    # search alone decides.
    search_only = {"min_bin_size": 0.02, "p_max": None, "penalty": "none"}
    flattered = ScorecardModel(fold_binning=False, **search_only).fit(X, y)
    honest = ScorecardModel(fold_binning=True, **search_only).fit(X, y)
    assert "noise" in flattered.selected_features_
    assert honest.selected_features_ == ["x"]
    row = honest.selection_table_.set_index("variable").loc["noise"]
    assert row["stage"] == "search" and row["reason"].startswith("held-out -log-loss gain -")
    # The in-sample grouping of the noise's categories looks informative all the same.
    assert row["iv"] > 0.05


def _suppressor_book(n_rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Married borrowers are riskier at a given limit but get higher limits: alone, marriage
    says almost nothing about risk."""
    rng = np.random.default_rng(seed)
    limit = rng.normal(size=n_rows)
    married = rng.uniform(size=n_rows) < 1 / (1 + np.exp(-1.1 * limit))
    y = (rng.uniform(size=n_rows) < 1 / (1 + np.exp(1.3 + 0.8 * limit - 0.8 * married))).astype(int)
    return pd.DataFrame({"limit": limit, "married": married.astype(str)}), y


def test_a_characteristic_weak_alone_but_significant_beside_another_enters_without_the_iv_filter() -> None:
    X, y = _suppressor_book(4_000, seed=0)
    model = ScorecardModel(iv_min=0.0, fold_binning=True).fit(X, y)
    table = model.selection_table_.set_index("variable")
    assert table.loc["married", "iv"] < 0.02  # the default pre-filter drops it
    assert model.selected_features_ == ["limit", "married"]
    assert (model.coef_table_["p_value"].iloc[1:] <= 0.05).all()
    filtered = ScorecardModel().fit(X, y)
    row = filtered.selection_table_.set_index("variable").loc["married"]
    assert (row["stage"], row["reason"]) == ("iv", f"IV {row['iv']:.3f} < 0.02")
