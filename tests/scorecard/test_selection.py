"""Every candidate is accounted for, and each rule drops what it should, saying why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.scorecard.config import ScorecardConfig
from riskmodels.scorecard.model import ScorecardModel
from riskmodels.scorecard.selection import select_variables

from .conftest import SPECIAL_CODES


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
    # The search would not enter it: its held-out coefficient is positive (risk falls as WoE falls).
    assert row["reason"].startswith("could enter only with a coefficient against its WOE (held-out coef +")
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


# -- significance, the search, the cap and the switches ------------------------------------------

def _free(**params: object) -> ScorecardModel:
    """The conftest card with no search, no cap and no significance filter, unless told."""
    base = {"categorical_features": ["industry"], "special_codes": SPECIAL_CODES, "iv_min": 0.0,
            "selection_method": "none", "max_features": None, "p_max": None}
    return ScorecardModel(**{**base, **params})


def test_significance_drops_the_least_significant_until_all_pass(dev_data) -> None:
    X, y = dev_data
    free = _free().fit(X, y)
    p_values = free.coef_table_.set_index("variable")["p_value"].drop("intercept")
    assert p_values.max() > 0.05, "the noise variable is kept without the filter"
    worst = str(p_values.idxmax())
    card = _free(p_max=0.05).fit(X, y)
    row = _row(card, worst)
    assert row["stage"] == "significance" and row["reason"] == f"Wald p {p_values[worst]:.3g} > p_max 0.05"
    assert (card.coef_table_["p_value"].iloc[1:] <= 0.05).all()
    assert set(card.selected_features_) == set(p_values.index) - set(
        card.selection_table_.query("stage == 'significance'")["variable"])


def test_the_sign_rule_can_be_switched_off(fitted: ScorecardModel, dev_data) -> None:
    X, y = dev_data
    assert "utilisation" not in fitted.selected_features_
    unsigned = ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES, sign_rule=False).fit(X, y)
    # Conditional on leverage, utilisation lowers risk: its WoE coefficient is positive, and it
    # raises the held-out criterion when it enters.
    coef = unsigned.coef_table_.set_index("variable")["coef"]
    assert "utilisation" in unsigned.selected_features_ and coef["utilisation"] > 0
    path = unsigned.selection_path_.set_index("variable")
    entry = path.index.get_loc("utilisation")
    assert unsigned.selection_path_["held_out"].iloc[entry] > unsigned.selection_path_["held_out"].iloc[entry - 1]


@pytest.mark.parametrize("metric", ["log_loss", "roc_auc"])
def test_max_features_caps_the_forward_search(dev_data, metric: str) -> None:
    X, y = dev_data
    card = ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES, max_features=2,
                          selection_metric=metric).fit(X, y)
    path = card.selection_path_
    entered = path.loc[path["action"] == "enter", "variable"].tolist()
    assert len(card.selected_features_) == 2 and set(card.selected_features_) == set(entered)
    assert path["held_out"].is_monotonic_increasing
    # Before any entry the model is the event rate: AUC one half, log-loss the rate's entropy.
    rate = y.mean()
    entropy = -(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))
    assert path["held_out"].iloc[0] == pytest.approx(0.5 if metric == "roc_auc" else -entropy, rel=1e-4)
    capped = card.selection_table_.query("stage == 'max_features'")
    assert len(capped) >= 1 and (capped["reason"] == "max_features 2 reached").all()
    # The first to enter has the largest score statistic: the strongest characteristic, leverage.
    assert entered[0] == "leverage"
    again = ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES, max_features=2,
                           selection_metric=metric).fit(X, y)
    pd.testing.assert_frame_equal(again.selection_path_, path)  # the folds are seeded


def test_without_a_search_the_cap_keeps_the_highest_iv(dev_data) -> None:
    X, y = dev_data
    card = _free(max_features=2).fit(X, y)
    table = card.selection_table_
    survivors = table[table["stage"].isin(["", "max_features"])]
    assert card.selected_features_ == survivors["variable"].tolist()[:2]
    assert (table.query("stage == 'max_features'")["reason"] == "max_features 2 reached (lower IV)").all()
    assert card.selection_path_.empty


def _proxy_data(n_rows: int = 6_000) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """WoE-like columns: a and b drive the risk, d is a proxy of both, c is weak."""
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=(3, n_rows))
    woe = pd.DataFrame({"a": a, "b": b, "d": (a + b) / np.sqrt(2) * 0.95 + 0.3 * rng.normal(size=n_rows), "c": c})
    y = (rng.uniform(size=n_rows) < 1 / (1 + np.exp(2 + a + b + 0.3 * c))).astype(int)
    return woe, y, pd.Series({"d": 0.5, "a": 0.3, "b": 0.3, "c": 0.1})


def test_a_proxy_gives_way_to_what_it_stands_for() -> None:
    woe, y, iv = _proxy_data()
    status = {name: "OPTIMAL" for name in woe.columns}
    for method in ("forward", "stepwise"):
        for sign_rule in (True, False):
            cfg = ScorecardConfig(features=list(woe.columns), max_corr=1.0, max_vif=np.inf,
                                  selection_method=method, sign_rule=sign_rule)
            result = select_variables(iv, woe, y, cfg, status)
            assert result.path["variable"].iloc[1] == "d"  # the proxy enters first
            assert result.selected == ["a", "b", "c"], (method, sign_rule)
            dropped = result.table.set_index("variable").loc["d"]
            # Sign rule: d goes when b turns its coefficient; without it, stepwise removes it for
            # its p-value after b enters, and forward leaves it to the final significance filter.
            expected = "sign" if sign_rule else ("stepwise" if method == "stepwise" else "significance")
            assert dropped["stage"] == expected, (method, sign_rule)


def test_penalised_card_reports_no_p_values(dev_data) -> None:
    X, y = dev_data
    ridge = _free(penalty="l2", C=1e-4, sign_rule=False).fit(X, y)
    plain = _free(sign_rule=False).fit(X, y)
    assert ridge.coef_table_["std_err"].isna().all() and ridge.coef_table_["p_value"].isna().all()
    assert ridge.selected_features_ == plain.selected_features_
    assert (ridge.coef_table_["coef"].iloc[1:].abs() < plain.coef_table_["coef"].iloc[1:].abs()).all()
    assert ridge.predict_pd(X).std() < plain.predict_pd(X).std()  # shrunk towards the mean
    # With a search, the held-out fits are penalised alike, and the card still fits.
    searched = ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES, penalty="l2",
                              C=1e-4, p_max=None).fit(X, y)
    assert searched.coef_table_["p_value"].isna().all() and 1 <= len(searched.selected_features_) <= 15


def test_selection_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"p_max must be None with penalty 'l2' .*; got 0.05"):
        ScorecardConfig(features=["a"], penalty="l2")
    with pytest.raises(ValueError, match="selection_method 'stepwise' removes by Wald p-value, so p_max must be set"):
        ScorecardConfig(features=["a"], selection_method="stepwise", p_max=None)
    with pytest.raises(ValueError, match="max_features"):
        ScorecardConfig(features=["a"], max_features=0)
    with pytest.raises(ValueError, match=r"each class must have at least cv_folds=5 rows for the held-out search "
                                         r"\(selection_method 'forward'\); got 3"):
        ScorecardModel().fit(pd.DataFrame({"a": np.arange(40.0)}), np.r_[np.zeros(37), np.ones(3)])
