"""The LightGBM evidence computed at training time (``evaluation.explain``), on a small fitted
model: each table states what the booster itself says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.evaluation.explain import (
    decile_calibration,
    explanation_rows,
    importance_table,
    monotone_constraints,
    shap_summary,
)
from riskmodels.models.challenger import GBMChallenger

FEATURES = ["bureau_inquiries_6m", "af_applications_30d", "tax_rate_on_sales"]  # +1, +1, 0 in the catalogue


@pytest.fixture(scope="module")
def fitted() -> tuple[GBMChallenger, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 6000
    X = pd.DataFrame({"bureau_inquiries_6m": rng.poisson(2, n).astype(float),
                      "af_applications_30d": rng.poisson(1, n).astype(float),
                      "tax_rate_on_sales": rng.uniform(0, 0.1, n)})
    logit = -3 + 0.5 * X["bureau_inquiries_6m"] + 0.8 * X["af_applications_30d"] - 10 * X["tax_rate_on_sales"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return GBMChallenger(features=FEATURES, num_threads=1).fit(X, y), X, y.to_numpy()


def test_importance_is_the_boosters_gain(fitted: tuple[GBMChallenger, pd.DataFrame, np.ndarray]) -> None:
    model, _, _ = fitted
    table = importance_table(model).set_index("feature")
    gain = dict(zip(FEATURES, model.booster_.feature_importance(importance_type="gain"), strict=True))
    assert table["gain"].to_dict() == pytest.approx(gain)
    assert table["gain_share"].sum() == pytest.approx(1.0)
    assert (np.diff(table["gain"].to_numpy()) <= 0).all()


def test_shap_summary_is_the_mean_of_pred_contrib(fitted: tuple[GBMChallenger, pd.DataFrame, np.ndarray]) -> None:
    model, X, _ = fitted
    contributions = model.contribution_matrix(X.head(500))
    summary = shap_summary(contributions, model.features_).set_index("feature")
    for i, feature in enumerate(model.features_):
        assert summary.loc[feature, "mean_abs_shap"] == pytest.approx(np.abs(contributions[:, i]).mean())
        assert summary.loc[feature, "p05"] <= summary.loc[feature, "p50"] <= summary.loc[feature, "p95"]
    with pytest.raises(ValueError, match="one column per feature plus the bias"):
        shap_summary(contributions[:, :-1], model.features_)


def test_monotone_constraints_are_what_the_booster_was_trained_with(
        fitted: tuple[GBMChallenger, pd.DataFrame, np.ndarray]) -> None:
    model, _, _ = fitted
    record = monotone_constraints(model)
    assert dict(record.constraints) == {"bureau_inquiries_6m": 1, "af_applications_30d": 1, "tax_rate_on_sales": 0}
    assert record.method == "intermediate"


def test_explanation_rows_are_a_fixed_sample_of_the_oot_rows() -> None:
    split = pd.Series(np.where(np.arange(5000) >= 3000, "oot", "train"))
    rows = explanation_rows(split, size=500, seed=7)
    assert len(rows) == 500 and (split.iloc[rows] == "oot").all() and (np.diff(rows) > 0).all()
    assert np.array_equal(rows, explanation_rows(split, size=500, seed=7))
    assert len(explanation_rows(split, size=10_000)) == 2000  # every oot row when fewer than asked
    with pytest.raises(ValueError, match="must have 'oot' rows"):
        explanation_rows(pd.Series(["train"] * 10))


def test_decile_calibration_counts_every_row_once(fitted: tuple[GBMChallenger, pd.DataFrame, np.ndarray]) -> None:
    model, X, y = fitted
    split = np.where(np.arange(len(y)) % 3 == 0, "oot", "train")
    table = decile_calibration(y, model.predict_pd(X), split)
    assert set(table["split"]) == {"train", "oot"}
    for name in ("train", "oot"):
        part = table[table["split"] == name]
        assert len(part) == 10 and part["n"].sum() == (split == name).sum()
        assert part["bads"].sum() == y[split == name].sum()
