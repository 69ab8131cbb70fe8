"""Every candidate is accounted for, and each rule drops what it should, saying why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.scorecard.config import ScorecardConfig
from riskmodels.scorecard.model import ScorecardModel
from riskmodels.scorecard.selection import select_variables


def _row(model: ScorecardModel, variable: str) -> pd.Series:
    table = model.selection_table_
    return table.loc[table["variable"] == variable].iloc[0]


def test_every_candidate_has_a_row_and_selected_ones_match(fitted: ScorecardModel, dev_data) -> None:
    X, _ = dev_data
    table = fitted.selection_table_
    assert list(table.columns) == ["variable", "iv", "status", "reason", "stage"]
    assert sorted(table["variable"]) == sorted(X.columns)
    assert table["iv"].is_monotonic_decreasing
    selected = table.loc[table["status"] == "selected", "variable"].tolist()
    assert selected == fitted.selected_features_
    assert (table.loc[table["status"] == "dropped", "reason"] != "").all()


def test_noise_is_dropped_for_low_information_value(fitted: ScorecardModel) -> None:
    row = _row(fitted, "noise")
    assert row["status"] == "dropped" and row["stage"] == "iv"
    assert row["iv"] < 0.02
    assert row["reason"] == f"IV {row['iv']:.3f} < 0.02"


def test_near_duplicate_is_dropped_for_correlation_keeping_the_higher_iv(fitted: ScorecardModel) -> None:
    pair = {"repayment_ratio", "repayment_ratio_copy"}
    dropped = [v for v in pair if _row(fitted, v)["status"] == "dropped"]
    assert len(dropped) == 1
    kept = (pair - set(dropped)).pop()
    row = _row(fitted, dropped[0])
    assert row["stage"] == "corr"
    assert row["reason"].endswith(f"with {kept} (higher IV)") and row["reason"].startswith("corr 0.9")
    assert _row(fitted, kept)["iv"] >= row["iv"]


def test_variable_with_coefficient_against_its_woe_is_dropped(fitted: ScorecardModel) -> None:
    row = _row(fitted, "utilisation")
    assert row["status"] == "dropped" and row["stage"] == "sign"
    assert row["reason"].startswith("coefficient sign inconsistent with WOE (coef +")
    # Every kept coefficient falls with WoE (optbinning's WoE rises as risk falls).
    assert (fitted.coef_table_["coef"].iloc[1:] < 0).all()


def test_vif_drops_the_most_collinear_variable_first() -> None:
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=(3, 4_000))
    # Pairwise correlations stay below 0.7 but d is nearly a + b + c.
    woe = pd.DataFrame({"a": a, "b": b, "c": c, "d": a + b + c + 0.3 * rng.normal(size=4_000)})
    y = (rng.uniform(size=4_000) < 1 / (1 + np.exp(a + b + c))).astype(int)
    assert woe.corr().abs().where(~np.eye(4, dtype=bool)).max().max() < 0.7
    iv = pd.Series({"a": 0.3, "b": 0.25, "c": 0.2, "d": 0.5})
    cfg = ScorecardConfig(features=list(woe.columns))
    result = select_variables(iv, woe, y, cfg, {name: "OPTIMAL" for name in woe.columns})
    dropped = result.table.set_index("variable").loc["d"]
    assert dropped["stage"] == "vif" and dropped["reason"].startswith("VIF ")
    assert float(dropped["reason"].split()[1]) >= 5
    assert result.selected == ["a", "b", "c"]
