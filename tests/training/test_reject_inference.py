"""Reject inference: each method on small frames, the weighted fit it needs, the A card fitted
with it (inferred rows in the development months only, calibration on booked rows), and the
through-the-door measurement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy import special

from riskmodels.data.splits import SplitConfig
from riskmodels.evaluation.metrics import auc
from riskmodels.scorecard import ScorecardConfig, ScorecardModel
from riskmodels.scorecard.binning import woe_frame
from riskmodels.scorecard.logistic import WoeLogisticRegression
from riskmodels.synth import generate_portfolio
from riskmodels.training.application import ApplicationConfig, RejectInferenceFit, fit_application_card
from riskmodels.training.reject_inference import (
    RejectInferenceConfig,
    band_edges,
    default_cutoff,
    fit_with_reject_inference,
    fuzzy,
    hard_cutoff,
    infer_rejects,
    parcelling,
    through_the_door_metrics,
)
from riskmodels.training.samples import ThroughTheDoor, through_the_door_sample
from riskmodels.training.scorecard import CalibrationConfig, ScorecardSample, fit_scorecard
from riskmodels.training.steps import load_config

FEATURES = ["x1", "x2", "x3", "noise"]


def book(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.Series, np.ndarray]:
    """Applications over 10 months: features, the outcome each would have had, the true PD,
    dates, and ``booked``: the bank approved on a noisy view of the risk, so the booked loans
    are selected on something the features do not hold."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    X = pd.DataFrame({"x1": risk + 0.7 * rng.normal(size=n), "x2": 0.5 * risk + rng.normal(size=n),
                      "x3": rng.normal(size=n) - 0.3 * risk, "noise": rng.normal(size=n)})
    true_pd = special.expit(-2.5 + 1.2 * risk)
    y = (rng.random(n) < true_pd).astype(np.int64)
    booked = risk + 0.6 * rng.normal(size=n) < 0.4
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"))
    return X, y, true_pd, dates, booked


def small_config(method: str, **ri: object) -> ApplicationConfig:
    base = load_config(ApplicationConfig, "application")
    return base.model_copy(update={
        "scorecard": ScorecardConfig(features=FEATURES, min_bin_size=0.1),
        "split": SplitConfig(oot_months=2, test_share=0.25, seed=3),
        "calibration": CalibrationConfig(folds=2, seed=1),
        "reject_inference": RejectInferenceConfig.model_validate({"method": method, **ri})})


@pytest.fixture(scope="module")
def small_book() -> tuple[ScorecardSample, ThroughTheDoor]:
    X, y, true_pd, dates, booked = book(8_000, seed=4)
    sample = ScorecardSample(X[booked].reset_index(drop=True), y[booked], dates[booked].reset_index(drop=True),
                             X[booked].reset_index(drop=True), true_pd[booked])
    return sample, ThroughTheDoor(X, dates, booked, true_pd, y)


# -- the methods ---------------------------------------------------------------------------------

def test_hard_cutoff_labels_the_rejects_at_or_above_the_cutoff_bad() -> None:
    p = np.array([0.02, 0.30, 0.10, 0.25, 0.05])
    inferred = hard_cutoff(p, 0.10)
    assert inferred.rows.tolist() == [0, 1, 2, 3, 4]
    assert inferred.event.tolist() == [0, 1, 1, 1, 0]
    assert inferred.weight.tolist() == [1.0] * 5


def test_the_default_cutoff_makes_the_expected_bads_times_the_factor_bad_riskiest_first() -> None:
    p = np.random.default_rng(0).beta(1, 8, 1_000)
    for factor in (1.0, 1.5, 2.0):
        inferred = hard_cutoff(p, default_cutoff(p, factor))
        assert inferred.event.sum() == round(factor * p.sum())
        assert p[inferred.event == 1].min() >= p[inferred.event == 0].max()
    assert hard_cutoff(p, default_cutoff(p, 1e-9)).event.sum() == 0  # nothing expected: nobody bad


def test_fuzzy_rows_weigh_one_per_reject_bad_at_the_factor_times_the_pd() -> None:
    p = np.array([0.1, 0.4, 0.8])
    inferred = fuzzy(p, bad_rate_factor=1.5)
    assert inferred.rows.tolist() == [0, 0, 1, 1, 2, 2]
    assert inferred.event.tolist() == [1, 0, 1, 0, 1, 0]
    np.testing.assert_allclose(np.bincount(inferred.rows, weights=inferred.weight), 1.0)
    np.testing.assert_allclose(inferred.weight[inferred.event == 1], [0.15, 0.6, 1.0])  # capped at one
    assert inferred.bad_rate == pytest.approx((0.15 + 0.6 + 1.0) / 3)


def test_parcelling_gives_each_band_its_booked_bad_rate_times_the_factor() -> None:
    rng = np.random.default_rng(2)
    booked_pd = rng.beta(1, 15, 20_000)
    booked_event = (rng.random(20_000) < booked_pd).astype(int)
    reject_pd = rng.beta(2, 10, 6_000)
    factor = 1.7
    inferred = parcelling(reject_pd, booked_pd, booked_event, 8, factor, np.random.default_rng(5))
    edges = band_edges(booked_pd, 8)
    assert len(edges) == 7
    booked_band, reject_band = np.digitize(booked_pd, edges), np.digitize(reject_pd, edges)
    for band in np.unique(reject_band):
        members = reject_band == band
        expected = min(1.0, factor * booked_event[booked_band == band].mean())
        assert abs(inferred.event[members].mean() - expected) <= 0.5 / members.sum() + 1e-12, band
    again = parcelling(reject_pd, booked_pd, booked_event, 8, factor, np.random.default_rng(5))
    assert np.array_equal(inferred.event, again.event)  # the seed decides which rejects are bad
    assert inferred.weight.tolist() == [1.0] * len(reject_pd)


def test_parcelling_refuses_booked_outcomes_that_do_not_match_their_pds() -> None:
    with pytest.raises(ValueError, match="booked_event must be 0/1"):
        parcelling(np.array([0.1]), np.array([0.1, 0.2]), np.array([0, 2]), 2, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="reject_pd must be a 1-d array of probabilities"):
        hard_cutoff(np.array([0.1, 1.2]), 0.5)


def test_none_infers_nothing_and_the_config_names_its_methods() -> None:
    cfg = RejectInferenceConfig.model_validate({})
    assert cfg.method == "none"
    assert len(infer_rejects(np.array([0.1, 0.2]), np.array([0.1]), np.array([0]), cfg).rows) == 0
    parcels = RejectInferenceConfig.model_validate({"method": "parcelling"})
    X, y, _, _, _ = book(2_000, seed=2)
    no_rejects = fit_with_reject_inference(X, y, X.iloc[:0], ScorecardConfig(features=FEATURES), parcels)
    assert len(no_rejects.inferred.rows) == 0
    with pytest.raises(ValidationError, match="method"):
        RejectInferenceConfig.model_validate({"method": "augmentation"})
    with pytest.raises(ValidationError, match="extra"):
        RejectInferenceConfig.model_validate({"method": "fuzzy", "factor": 2})
    with pytest.raises(ValidationError, match="bad_rate_factor"):
        RejectInferenceConfig.model_validate({"method": "fuzzy", "bad_rate_factor": 0})


# -- sample weights, which fuzzy augmentation needs ------------------------------------------------

def test_integer_weights_fit_the_logistic_regression_as_repeated_rows() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2_000, 3))
    y = (rng.random(2_000) < special.expit(-1 + X @ [1.0, -0.5, 0.2])).astype(int)
    w = rng.integers(1, 4, 2_000)
    weighted = WoeLogisticRegression().fit(X, y, sample_weight=w)
    repeated = WoeLogisticRegression().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-9)
    np.testing.assert_allclose(weighted.std_err_, repeated.std_err_, rtol=1e-9)
    plain = WoeLogisticRegression().fit(X, y)
    np.testing.assert_allclose(WoeLogisticRegression().fit(X, y, sample_weight=np.ones(2_000)).coef_, plain.coef_,
                               rtol=1e-12)


def test_sample_weights_are_checked() -> None:
    X, y = np.zeros((3, 1)), np.array([0, 1, 0])
    with pytest.raises(ValueError, match=r"sample_weight must have one weight per row \(3,\); got shape \(2,\)"):
        WoeLogisticRegression().fit(X, y, sample_weight=[1.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight must be finite and non-negative; got"):
        WoeLogisticRegression().fit(X, y, sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight must have a positive sum"):
        ScorecardModel(features=["a"]).fit(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), y, sample_weight=[0, 0, 0])


def test_the_weighted_scorecard_solves_the_weighted_score_equations() -> None:
    X, y, _, _, _ = book(6_000, seed=8)
    w = np.random.default_rng(1).uniform(0.2, 1.0, len(y))
    model = ScorecardModel(features=FEATURES, min_bin_size=0.1).fit(X, y, sample_weight=w)
    names = model.selected_features_
    woe = woe_frame(model.scorecard_.binning_process_, X, names, model.config_).to_numpy()
    design = np.column_stack([np.ones(len(woe)), woe])
    prob = special.expit(design @ model.coef_table_["coef"].to_numpy())
    np.testing.assert_allclose(design.T @ (w * (y - prob)), 0, atol=1e-6)
    unweighted = ScorecardModel(features=FEATURES, min_bin_size=0.1).fit(X, y)
    assert not np.allclose(model.coef_table_["coef"].to_numpy()[:2], unweighted.coef_table_["coef"].to_numpy()[:2])


# -- fitting with the rejects ----------------------------------------------------------------------

def test_the_augmented_card_sees_the_rejects_riskier_than_the_booked_only_card() -> None:
    X, y, _, _, booked = book(8_000, seed=6)
    config = ScorecardConfig(features=FEATURES, min_bin_size=0.1)
    rejects = X[~booked].reset_index(drop=True)
    kgb = fit_with_reject_inference(X[booked], y[booked], rejects, config, RejectInferenceConfig())
    assert len(kgb.inferred.rows) == 0
    for method in ("hard_cutoff", "fuzzy", "parcelling"):
        cfg = RejectInferenceConfig.model_validate({"method": method, "bad_rate_factor": 2.0})
        fit = fit_with_reject_inference(X[booked], y[booked], rejects, config, cfg)
        n_rows = len(rejects) * (2 if method == "fuzzy" else 1)
        assert len(fit.inferred.rows) == n_rows
        assert fit.inferred.bad_rate > kgb.model.predict_pd(rejects).mean(), method
        # Fitted on a population with twice the rejects' expected bads: their mean PD rises.
        assert fit.model.predict_pd(rejects).mean() > kgb.model.predict_pd(rejects).mean(), method


@pytest.mark.parametrize("method", ["none", "hard_cutoff", "fuzzy", "parcelling"])
def test_the_a_card_infers_development_months_only_and_calibrates_on_booked_rows(
        small_book: tuple[ScorecardSample, ThroughTheDoor], method: str) -> None:
    sample, door = small_book
    fitted, inferred, n_rejects = fit_application_card(sample, door, small_config(method))
    development = (fitted.split != "oot").to_numpy()
    oot_start = sample.dates[~development].dt.to_period("M").min()
    dev_rejects = int((~door.booked & (door.dates.dt.to_period("M") < oot_start).to_numpy()).sum())
    assert n_rejects == (0 if method == "none" else dev_rejects)
    assert len(inferred.rows) == {"none": 0, "fuzzy": 2 * dev_rejects}.get(method, dev_rejects)
    # Everything judged is the booked rows': the split, the PDs, the calibration's samples.
    assert len(fitted.split) == len(fitted.pds) == len(sample.event)
    assert fitted.calibration.slope_rows == development.sum()
    assert fitted.calibration.level_rows == len(sample.event)
    assert fitted.calibration.level_bads == sample.event.sum()


def test_the_reject_inference_fit_without_rejects_is_the_plain_fit(
        small_book: tuple[ScorecardSample, ThroughTheDoor]) -> None:
    # One fit path: fit_scorecard with the reject-inference fitter; with no reject to infer, the
    # card, its calibration and its PDs are the plain fit's.
    sample, door = small_book
    cfg = small_config("fuzzy")
    fitter = RejectInferenceFit(sample, door.features.iloc[:0], cfg)
    with_fitter = fit_scorecard(sample, cfg.scorecard, cfg.split, None, cfg.calibration, fitter)
    reference = fit_scorecard(sample, cfg.scorecard, cfg.split, None, cfg.calibration)
    assert with_fitter.model.compiled_.to_spec() == reference.model.compiled_.to_spec()
    assert with_fitter.calibration == reference.calibration
    np.testing.assert_array_equal(with_fitter.pds, reference.pds)
    assert fitter.first is not None and len(fitter.first.rows) == 0


# -- measuring against the truth ---------------------------------------------------------------------

def test_through_the_door_metrics_compare_the_card_with_the_truth_on_every_application() -> None:
    rng = np.random.default_rng(3)
    true_pd = rng.beta(1, 6, 5_000)
    y = (rng.random(5_000) < true_pd).astype(int)
    booked = true_pd < 0.2
    card = np.clip(true_pd * 0.7 + 0.02 * rng.random(5_000), 0, 1)
    m = through_the_door_metrics(card, booked, true_pd, y)
    assert m["ttd_auc"] == pytest.approx(auc(y, card))
    assert m["oracle_ttd_auc"] == pytest.approx(auc(y, true_pd))
    assert m["ttd_auc_to_oracle"] == pytest.approx(m["ttd_auc"] / m["oracle_ttd_auc"])
    assert m["rejected_mean_pd"] == pytest.approx(card[~booked].mean())
    assert m["rejected_true_pd"] == pytest.approx(true_pd[~booked].mean())
    assert m["rejected_bad_rate"] == pytest.approx(y[~booked].mean())
    assert m["rejected_pd_to_bad_rate"] == pytest.approx(m["rejected_mean_pd"] / m["rejected_bad_rate"])
    assert 0.6 < m["rejected_pd_to_true"] < 0.8  # the card's PDs are 70% of the truth
    without = through_the_door_metrics(card, booked, true_pd, None)
    assert set(without) == {"rejected_mean_pd", "rejected_true_pd", "rejected_pd_to_true"}


def test_the_door_reads_the_counterfactual_outcome_only_when_the_truth_has_it() -> None:
    book_ = generate_portfolio(800, 9)
    apps = book_.applications
    # The outcomes and the truth in another order: the door aligns them by application id.
    outcomes, truth = book_.outcomes.iloc[::-1], book_.truth.sample(frac=1.0, random_state=0)
    door = through_the_door_sample(apps, outcomes, truth, "bad_12m")
    assert len(door.features) == len(apps)
    np.testing.assert_array_equal(door.booked, book_.outcomes["bad_12m"].notna().to_numpy())
    assert door.true_pd is not None and door.bad_if_booked is not None
    np.testing.assert_array_equal(door.true_pd, book_.truth["true_pd"].to_numpy())
    np.testing.assert_array_equal(door.bad_if_booked, book_.truth["bad_12m_if_booked"].to_numpy())
    older = through_the_door_sample(apps, outcomes, truth.drop(columns="bad_12m_if_booked"), "bad_12m")
    assert older.bad_if_booked is None and older.true_pd is not None
    blind = through_the_door_sample(apps, outcomes, None, "bad_12m")
    assert blind.true_pd is None and blind.bad_if_booked is None
