"""Issue 13: the champion A card's calibrated PDs back-test on a fresh population from the same
process (a new seed, no drift), and neither the A-card nor the fraud score saturates."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest

from riskmodels import registry
from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.evaluation import calibration
from riskmodels.features import build_features
from riskmodels.models.specs import ScorecardScorer, scorer_from_spec
from riskmodels.synth import Portfolio, generate_portfolio
from riskmodels.training.samples import booked_sample

FRESH_SEED = 23  # the session book is seed 11
MIN_CLASS_ROWS = 30
MAX_SHARE_AT_AN_END = 0.01


@pytest.fixture(scope="module")
def fresh() -> Portfolio:
    return generate_portfolio(40_000, FRESH_SEED)  # the session book's size (tests/conftest.py)


@pytest.fixture(scope="module")
def a_card(trained_store: Settings) -> ScorecardScorer:
    spec, _ = registry.load_spec(REGISTERED_MODELS["application"], registry.CHAMPION)
    scorer = scorer_from_spec(spec)
    assert isinstance(scorer, ScorecardScorer)
    return scorer


def test_calibrated_pds_pass_back_testing_on_a_fresh_population(a_card: ScorecardScorer, fresh: Portfolio) -> None:
    sample = booked_sample(fresh.applications, fresh.outcomes, None, "bad_12m")
    scored = a_card.score_frame(sample.input_rows)
    y, pd_ = sample.event, scored["pd"].to_numpy()
    hl = calibration.hosmer_lemeshow(y, pd_, external=True)
    assert hl.p_value >= 0.05, (hl, pd_.mean(), y.mean())
    classes = scored["risk_class"].to_numpy()
    jeffreys = calibration.jeffreys_test(y, pd_, classes, a_card.bands.names, alpha=0.05).table
    tested = jeffreys[jeffreys["n"] >= MIN_CLASS_ROWS]
    assert len(tested) == len(a_card.bands.names) and tested["passed"].all(), jeffreys.to_string()


def test_scores_do_not_saturate_on_the_through_the_door_population(trained_store: Settings, fresh: Portfolio,
                                                                   a_card: ScorecardScorer) -> None:
    scores = a_card.score_frame(fresh.applications)["score"].to_numpy()  # every application, booked or not
    assert (scores <= a_card.scorecard.scale.min_score).mean() <= MAX_SHARE_AT_AN_END
    assert (scores >= a_card.scorecard.scale.max_score).mean() <= MAX_SHARE_AT_AN_END
    spec, _ = registry.load_spec(REGISTERED_MODELS["fraud"], registry.CHAMPION)
    fraud = scorer_from_spec(spec).model
    fraud_scores = fraud.assess(build_features(fresh.applications)).score  # type: ignore[union-attr]
    assert (fraud_scores <= 0).mean() <= MAX_SHARE_AT_AN_END and (fraud_scores >= 100).mean() <= MAX_SHARE_AT_AN_END
    # It spreads, and the seed's "85, passed" is where a typical applicant sits.
    low, median = np.quantile(fraud_scores, [0.05, 0.5])
    assert 70 <= median <= 95 and low < median - 3


def test_the_calibration_choice_is_recorded_with_the_run(trained_store: Settings) -> None:
    version = registry.describe(REGISTERED_MODELS["application"], "champion")
    run = mlflow.get_run(version.run_id)
    assert run.data.tags["calibration.basis"] == "through_the_cycle"
    assert run.data.tags["calibration.method"] == "logistic"
    recorded = json.loads(registry.load_artifact_text(version.run_id, "model/calibration.json"))
    spec, _ = registry.load_spec(REGISTERED_MODELS["application"], registry.CHAMPION)
    assert spec["model"]["calibration"] == recorded  # the line the served model scores with
    assert 0 < recorded["slope"] <= 1.2
    # The slope never sees the out-of-time months; the through-the-cycle level takes every
    # month with an outcome, so it has more rows than the slope.
    assert "out-of-time" not in recorded["slope_sample"] and "out-of-time" in recorded["level_sample"]
    assert recorded["level_rows"] > recorded["slope_rows"]
