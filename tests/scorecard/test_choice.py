"""The choices ``fit`` makes on held-out training rows, when asked: the default trend and the
penalty (both opt-in; the defaults fix ``auto_asc_desc`` and the unpenalised fit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskmodels.scorecard import ScorecardModel
from riskmodels.scorecard.config import C_GRID, TREND_CHOICE, ScorecardConfig
from riskmodels.scorecard.logistic import WoeLogisticRegression

from .conftest import SPECIAL_CODES, make_applications

CHOOSING = {"default_monotonic_trend": TREND_CHOICE, "penalty": "auto"}


def _model(**params: object) -> ScorecardModel:
    return ScorecardModel(categorical_features=["industry"], special_codes=SPECIAL_CODES,
                          **CHOOSING).set_params(**params)


@pytest.fixture(scope="module")
def small_book() -> tuple[pd.DataFrame, np.ndarray]:
    return make_applications(1_500, seed=5)


def test_every_option_is_recorded_and_the_card_uses_the_chosen_one(small_book) -> None:
    X, y = small_book
    model = _model().fit(X, y)
    choices = model.choices_
    trends, penalties = choices[choices["choice"] == "trend"], choices[choices["choice"] == "penalty"]
    assert trends["option"].tolist() == ["auto_asc_desc", "auto"]
    assert penalties["option"].tolist() == ["none", *[f"l2 C={C:g}" for C in C_GRID]]
    for rows in (trends, penalties):
        assert rows["chosen"].sum() == 1 and np.isfinite(rows["held_out"]).all()
        # The chosen option has the best held-out criterion.
        assert rows.loc[rows["chosen"], "held_out"].item() == rows["held_out"].max()
    assert model.config_.default_monotonic_trend == model.monotonic_trend_ == trends.loc[trends["chosen"], "option"].item()
    estimator = model.scorecard_.estimator_
    chosen_penalty = penalties.loc[penalties["chosen"], "option"].item()
    assert chosen_penalty == ("none" if model.penalty_ == "none" else f"l2 C={model.C_:g}")
    assert estimator.penalty == model.penalty_ and (model.penalty_ == "none" or estimator.C == model.C_)
    # The path opens with the trend chosen and ends with the penalty chosen.
    path = model.selection_path_
    assert path.iloc[0][["action", "variable"]].tolist() == ["trend", model.monotonic_trend_]
    assert path.iloc[-1][["action", "variable"]].tolist() == ["penalty", chosen_penalty]


def test_an_l2_card_reports_the_unpenalised_refits_significance(small_book) -> None:
    X, y = small_book
    # A grid of one strong penalty against the unpenalised fit: whichever wins, the table is read the same way.
    for C_grid in ([0.05], [1e-3]):
        model = _model(C_grid=C_grid).fit(X, y)
        table = model.coef_table_.set_index("variable")
        woe = model.scorecard_.binning_process_.transform(
            X[model.selected_features_].astype({"industry": object}), metric="woe",
            metric_special="empirical", metric_missing="empirical")
        refit = WoeLogisticRegression().fit(woe[model.selected_features_], y)
        np.testing.assert_allclose(table["coef_unpenalised"], np.r_[refit.intercept_, refit.coef_[0]], rtol=1e-6)
        np.testing.assert_allclose(table["p_value"], refit.p_values_, rtol=1e-6)
        assert (table["p_value"].iloc[1:] <= 0.05).all()  # p_max holds in the unpenalised refit
        assert (table["coef"].iloc[1:] < 0).all()  # the sign rule holds in the card's own fit
        if model.penalty_ == "l2":
            assert (table["coef"].iloc[1:].abs() < table["coef_unpenalised"].iloc[1:].abs()).all()
        else:
            np.testing.assert_allclose(table["coef"], table["coef_unpenalised"])
    assert {_model(C_grid=[1e-3]).fit(X, y).penalty_} == {"none"}  # such a penalty never wins


def _u_shaped(n_rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Risk highest at both ends of age, falling with income."""
    rng = np.random.default_rng(seed)
    age, income = rng.uniform(20, 70, n_rows), rng.normal(size=n_rows)
    logit = -1.5 + 0.004 * (age - 45) ** 2 - 0.8 * income
    y = (rng.uniform(size=n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"age": age, "income": income}), y


def test_a_u_shaped_risk_chooses_the_trend_that_can_bend() -> None:
    X, y = _u_shaped(4_000, seed=8)
    model = ScorecardModel(**CHOOSING).fit(X, y)
    assert model.monotonic_trend_ == "auto"
    fixed = ScorecardModel(default_monotonic_trend="auto_asc_desc").fit(X, y)
    assert fixed.choices_.loc[fixed.choices_["choice"] == "trend", "note"].tolist() == ["one candidate"]
    assert fixed.selection_path_.iloc[0]["action"] != "trend"
    # On a fresh book, the bent binning ranks better, as the held-out choice said it would.
    X_new, y_new = _u_shaped(20_000, seed=9)
    assert roc_auc_score(y_new, model.predict_pd(X_new)) > roc_auc_score(y_new, fixed.predict_pd(X_new)) + 0.01


def test_choice_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"default_monotonic_trend must be a trend, None or a non-empty list"):
        ScorecardConfig(features=["a"], default_monotonic_trend=[])
    with pytest.raises(ValueError, match=r"C_grid must hold finite positive numbers; got \[1.0, inf\]"):
        ScorecardConfig(features=["a"], C_grid=[1.0, float("inf")])
    with pytest.raises(ValueError, match=r"default_monotonic_trend must be one trend to bin 'a'"):
        ScorecardConfig(features=["a"], default_monotonic_trend=list(TREND_CHOICE)).trend_of("a")
    # By default nothing is chosen: one trend and the unpenalised fit (the choices cost ~8x the fit time).
    default = ScorecardConfig(features=["a"])
    assert (default.trend_choices, default.penalty) == (["auto_asc_desc"], "none")
    # penalty auto keeps the Wald p-value gate: its p-values come from the unpenalised fit.
    assert ScorecardConfig(features=["a"], penalty="auto", p_max=0.05).p_max == 0.05
