"""The memory-lean paths of the fit (issue 19 §3) give the answers the plain ones gave: the WoE
matrix is optbinning's own transform value for value, the bin check tells the same bins from
different ones, and the B/C feature frame that wraps its arrays equals one built from copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.features.behavior import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    behavior_features,
    build_behavior_features,
    features_frame,
    frame_columns,
)
from riskmodels.scorecard import binning
from riskmodels.scorecard.logistic import WoeLogisticRegression, variance_inflation
from riskmodels.scorecard.model import ScorecardModel
from tests.scorecard.conftest import make_applications


def test_woe_frame_is_optbinnings_transform(fitted: ScorecardModel,
                                            dev_data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = dev_data
    X = X.assign(industry=X["industry"].astype("category"))  # a category column is binned by value
    process, cfg = fitted.binning_process_, fitted.config_
    names = list(cfg.features)
    expected = process.transform(binning.as_binning_input(X, names, cfg), metric="woe",
                                 metric_special=binning.EMPIRICAL, metric_missing=binning.EMPIRICAL)
    woe = binning.woe_frame(process, X, list(reversed(names)), cfg)
    assert list(woe.columns) == list(reversed(names))
    assert woe.index.equals(X.index)
    # Bit for bit: special codes, missing values and categories included.
    np.testing.assert_array_equal(woe[names].to_numpy(), expected[names].to_numpy(dtype=float))
    assert X["leverage"].isna().any() and (X["repayment_ratio"] == -1.0).any()


def test_woe_frame_is_one_block_read_without_copy(fitted: ScorecardModel,
                                                  dev_data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = dev_data
    woe = binning.woe_frame(fitted.binning_process_, X, list(fitted.config_.features), fitted.config_)
    assert np.shares_memory(woe.to_numpy(dtype=float), woe["leverage"].to_numpy())


def test_same_bins_tells_a_refit_from_other_data(fitted: ScorecardModel,
                                                 dev_data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = dev_data
    cfg, names = fitted.config_, list(fitted.config_.features)
    again = binning.fit_binning_process(X, y, cfg, names)
    assert binning.same_bins(fitted.binning_process_, again, names)
    other_X, other_y = make_applications(5_000, seed=9)
    other = binning.fit_binning_process(other_X, other_y, cfg, names)
    assert not binning.same_bins(fitted.binning_process_, other, names)
    # One variable alike is not enough: every variable named is compared.
    alike = [n for n in names if binning.same_bins(fitted.binning_process_, other, [n])]
    assert set(alike) != set(names)


def test_fit_keeps_its_answer_with_the_lean_woe(dev_data: tuple[pd.DataFrame, np.ndarray],
                                                caplog: pytest.LogCaptureFixture) -> None:
    """The card's coefficients are the logistic fit of optbinning's own WoE of the selected
    characteristics, and the final binning is found equal to the candidates' (no warning)."""
    X, y = dev_data
    with caplog.at_level("WARNING", logger="riskmodels.scorecard.model"):
        model = ScorecardModel(categorical_features=["industry"]).fit(X, y)
    assert "final binning differs" not in caplog.text
    selected = model.selected_features_
    woe = model.binning_process_.transform(binning.as_binning_input(X, model.config_.features, model.config_),
                                           metric="woe", metric_special=binning.EMPIRICAL,
                                           metric_missing=binning.EMPIRICAL)[selected]
    plain = WoeLogisticRegression().fit(woe.to_numpy(dtype=float), y)
    np.testing.assert_allclose(model.scorecard_.estimator_.coef_, plain.coef_, rtol=1e-9)
    np.testing.assert_allclose(model.scorecard_.estimator_.intercept_, plain.intercept_, rtol=1e-9)


def test_behavior_feature_frame_equals_copied_frame() -> None:
    rng = np.random.default_rng(3)
    n = 500
    snapshots = pd.DataFrame({
        "months_on_book": rng.integers(1, 36, n), "limit_amount": rng.uniform(1e4, 5e5, n),
        "balance": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 5e5, n)),
        "instalment_due": rng.uniform(0, 3e4, n), "balance_before_due": rng.uniform(0, 3e4, n),
        "dpd": rng.integers(0, 90, n), "worst_dpd_3m": rng.integers(0, 90, n), "worst_dpd_6m": rng.integers(0, 120, n),
        "times_dpd_1_29_6m": rng.integers(0, 6, n), "inflow_month": rng.uniform(0, 2e5, n),
        "inflow_baseline": rng.uniform(0, 2e5, n), "inflow_same_month_last_year": rng.uniform(0, 2e5, n),
        "avg_balance_month": rng.uniform(0, 5e4, n), "avg_balance_baseline": rng.uniform(0, 5e4, n),
        "new_inquiries_since_booking": rng.integers(0, 5, n), "new_lenders_since_booking": rng.integers(0, 3, n),
        "new_large_loan_other_bank": rng.random(n) < 0.1, "tax_trend": rng.uniform(0.5, 1.5, n),
        "pos_trend": rng.uniform(0.5, 1.5, n), "a_score_origination": rng.uniform(40, 90, n),
        "industry": pd.array(rng.choice(["retail", "catering", None], n), dtype="str"),
    }, index=pd.RangeIndex(100, 100 + n))
    frame = build_behavior_features(snapshots)
    # The frame as it was built before: every column copied into a Series, then into one block.
    batch = behavior_features(frame_columns(snapshots, NUMERIC_COLUMNS, CATEGORICAL_COLUMNS, OPTIONAL_COLUMNS, "t"))
    copied = pd.DataFrame({name: pd.Series(np.array(values, copy=True), index=snapshots.index,
                                           dtype=object if name == "bh_industry" else float)
                           for name, values in batch.items()}, index=snapshots.index)
    pd.testing.assert_frame_equal(frame, copied)
    assert frame["bh_industry"].dtype == object and frame["bh_industry"].isna().any()
    assert features_frame(batch, snapshots.index, ("bh_industry",)).columns.tolist() == list(batch)


def test_variance_inflation_is_the_stacked_regressions(fitted: ScorecardModel,
                                                       dev_data: tuple[pd.DataFrame, np.ndarray]) -> None:
    """VIF from one QR of the card's WoE equals each column's regression on a fresh stack of the others."""
    X, _ = dev_data
    names = list(fitted.config_.features)
    woe = binning.woe_frame(fitted.binning_process_, X, names, fitted.config_)
    values = woe.to_numpy()
    expected = []
    for j in range(len(names)):
        others = np.column_stack([np.ones(len(values)), np.delete(values, j, axis=1)])
        residual = np.sum((values[:, j] - others @ np.linalg.lstsq(others, values[:, j], rcond=None)[0]) ** 2)
        total = np.sum((values[:, j] - values[:, j].mean()) ** 2)
        expected.append(total / residual if residual > 1e-12 * total else np.inf)
    vif = variance_inflation(woe)
    np.testing.assert_allclose(vif.to_numpy(), np.array(expected), rtol=1e-9)
    assert np.isinf(vif["repayment_ratio"]) or vif["repayment_ratio"] > 5  # its near-copy is in the matrix


def test_the_scorecard_tables_bins_show_their_edges_to_six_decimals(fitted: ScorecardModel) -> None:
    """At two decimals a tax rate's bins read "[0.01, 0.01)", "[0.02, 0.02)": a report must tell
    every bin apart and show where it starts and ends."""
    table = fitted.scorecard_table_
    numeric = [n for n in fitted.selected_features_
               if fitted.scorecard_.binning_process_.get_binned_variable(n).dtype == "numerical"]
    assert numeric
    for name in numeric:
        binned = fitted.scorecard_.binning_process_.get_binned_variable(name)
        labels = table.loc[table["variable"] == name, "bin"].tolist()[: len(binned.splits) + 1]
        shown = [float(edge) for label in labels for edge in str(label).strip("[()").split(", ")[1:]][:-1]
        np.testing.assert_allclose(shown, np.round(binned.splits, 6), rtol=0, atol=5e-7)
        assert len(set(labels)) == len(labels)
