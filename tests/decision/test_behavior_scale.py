"""The B card's score line does not saturate, and its answers carry a master-scale grade
(issue 13 §2): the champion the session's pipelines trained, on the session's generated book."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.decision import CollectionResult, score_behavior
from riskmodels.decision.accounts import twelve_month_pd
from riskmodels.policy.master_scale import default_master_scale
from riskmodels.synth.collection import b_score_points
from serving.schemas import BehaviorRequest

B_CARD = REGISTERED_MODELS["behavior"]
ROWS = 300


def _requests(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the service sees them: validated by the request schema, dumped as JSON values."""
    names = [n for n in BehaviorRequest.model_fields if n in frame.columns]
    plain = [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
             for row in frame[names].to_dict(orient="records")]
    return [BehaviorRequest.model_validate(row).model_dump(mode="json") for row in plain]


def _master_grade(pd_6m: float) -> str:
    return default_master_scale().grade_of(1 - (1 - pd_6m) ** 2).name


def test_at_most_one_percent_of_the_book_at_either_end_of_the_scale(post_loan_store: Settings,
                                                                     portfolio_dir: Path) -> None:
    from riskmodels import registry
    from riskmodels.models.specs import ScorecardScorer, scorer_from_spec

    spec, _ = registry.load_spec(B_CARD, registry.CHAMPION)
    scorer = scorer_from_spec(spec)
    assert isinstance(scorer, ScorecardScorer)
    scale = scorer.scorecard.scale
    assert (scale.min_score, scale.max_score) == (0, 100)
    snapshots = pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet")
    scored = scorer.score_frame(snapshots)
    score = scored["score"].to_numpy()
    at_0, at_100 = float(np.mean(score <= scale.min_score)), float(np.mean(score >= scale.max_score))
    quantiles = np.quantile(score, [0.01, 0.5, 0.99]).round(1).tolist()
    assert at_0 <= 0.01 and at_100 <= 0.01, (len(score), at_0, at_100, quantiles)
    # The book spreads over the line, not into a corner of it: the middle 98% spans 30+ points.
    assert quantiles[2] - quantiles[0] >= 30, quantiles


def test_b_answers_carry_the_master_scale_grade_of_their_12_month_pd(post_loan_store: Settings,
                                                                      portfolio_dir: Path) -> None:
    from riskmodels.registry.champions import load_account_models

    models = load_account_models(post_loan_store)
    rows = _requests(pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet").sample(ROWS, random_state=11))
    batch = score_behavior(models, rows)
    single = [score_behavior(models, [row])[0] for row in rows[:20]]
    for answer in [*batch, *single]:
        assert answer.pd_12m is not None and answer.grade is not None
        assert answer.pd <= answer.pd_12m <= 2 * answer.pd, answer
        assert answer.pd_12m == pytest.approx(1 - (1 - answer.pd) ** 2, rel=1e-12, abs=1e-15)
        assert answer.grade == _master_grade(answer.pd), answer
    assert [(a.pd_12m, a.grade) for a in single] == [(a.pd_12m, a.grade) for a in batch[:20]]
    assert len({a.grade for a in batch}) >= 4  # the sample meets the scale, not one grade of it
    # The C card predicts a cure probability, not a PD: it has no grade.
    assert "grade" not in CollectionResult.model_fields and "pd_12m" not in CollectionResult.model_fields


def test_b_batch_file_has_the_same_12_month_pd_and_grade(post_loan_store: Settings, portfolio_dir: Path,
                                                         tmp_path: Path) -> None:
    from riskmodels.batch import score_batch
    from riskmodels.registry.champions import load_account_models

    snapshots = pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet").sample(ROWS, random_state=5)
    path = tmp_path / "snapshots.parquet"
    snapshots.to_parquet(path, index=False)
    summary = score_batch(f"{B_CARD}@champion", path, tmp_path / "scores.parquet")
    got = pd.read_parquet(summary.output_path)
    assert summary.rows_scored == ROWS and {"pd", "pd_12m", "grade"} <= set(got.columns)
    assert got["grade"].tolist() == [_master_grade(p) for p in got["pd"]]
    live = score_behavior(load_account_models(post_loan_store), _requests(snapshots))
    assert got["account_id"].tolist() == [a.account_id for a in live]
    np.testing.assert_allclose(got["pd_12m"], [a.pd_12m for a in live], rtol=1e-12, atol=0)
    assert got["grade"].tolist() == [a.grade for a in live]


def test_twelve_month_pd_at_a_constant_hazard() -> None:
    assert twelve_month_pd(0.0) == 0.0 and twelve_month_pd(1.0) == 1.0
    assert twelve_month_pd(0.5) == pytest.approx(0.75)
    assert twelve_month_pd(1e-20) >= 1e-20  # never below the 6-month PD, even where 1 - (1 - p)^2 rounds to 0
    np.testing.assert_allclose(twelve_month_pd(np.array([0.01, 0.1])), [0.0199, 0.19], rtol=1e-12)
    # A 1% six-month PD is 1.99% over twelve months: grade M7 (1.6%-2.2%), not M5 where 1% sits.
    assert _master_grade(0.01) == "M7" and default_master_scale().grade_of(0.01).name == "M5"


def test_simulated_latest_b_score_is_on_the_b_cards_line(portfolio_dir: Path) -> None:
    # 60 at 20:1 good:bad, 5 points per doubling: the post-loan classes' odds 80:1, 40:1 and 20:1
    # are 70, 65 and 60, and the ends of the scale are 5,120:1 and 20:4,096.
    odds = np.array([20.0, 40.0, 80.0, 5120.0, 20 / 4096, 1e6, 1e-6])
    assert b_score_points(np.log(odds)).tolist() == [60.0, 65.0, 70.0, 100.0, 0.0, 100.0, 0.0]
    assert b_score_points(np.log(np.array([30.0])))[0] == 62.9  # rounded to 0.1
    cases = pd.read_parquet(portfolio_dir / "collection_cases.parquet")
    score = cases["latest_b_score"].to_numpy(dtype=float)
    assert np.mean(score <= 0) <= 0.01 and np.mean(score >= 100) <= 0.01
    # Deeper delinquency, lower latest B score.
    medians = cases.groupby("dpd_bucket")["latest_b_score"].median()
    assert medians["1-29"] > medians["30-59"] > medians["60-89"], medians
