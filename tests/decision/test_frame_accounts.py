"""The B and C cards' reasons for many rows (``frame_reasons.scorecard_reasons_frame``, behind
``score_behavior`` and ``score_collection`` on a batch) are the one-row reasons, object for
object (code, value, contribution, points lost and the text stating the value and its band),
on cards fitted to generated snapshots and cases with their pipelines' configurations."""

from __future__ import annotations

import pandas as pd
import pytest

from riskmodels.decision.accounts import TOP_REASONS
from riskmodels.decision.frame_reasons import scorecard_reasons_frame
from riskmodels.decision.reasons import top_adverse
from riskmodels.models.specs import feature_builder
from riskmodels.scorecard import ScorecardModel
from riskmodels.scorecard.compiled import CompiledScorecard
from riskmodels.training import load_config
from riskmodels.training.scorecard import ScorecardPipelineConfig


@pytest.fixture(scope="module")
def book() -> object:
    from riskmodels.synth import generate_portfolio

    return generate_portfolio(n_applications=6000, seed=3)


@pytest.mark.parametrize(("kind", "table"), [("behavior", "behavior_snapshots"), ("collection", "collection_cases")])
def test_many_rows_give_the_one_row_reasons(book: object, kind: str, table: str) -> None:
    cfg = load_config(ScorecardPipelineConfig, kind)
    rows: pd.DataFrame = getattr(book, table)
    labelled = rows[rows[cfg.target].notna()].reset_index(drop=True)
    features = feature_builder(table)(labelled)
    event = (labelled[cfg.target].to_numpy(dtype=int) == cfg.event_value).astype(int)
    card: CompiledScorecard = ScorecardModel.from_config(cfg.scorecard).fit(features, event).compiled_
    sample = features.iloc[:3000]
    points = card.characteristic_points(sample)[list(card.features)].to_numpy(dtype=float)
    many = scorecard_reasons_frame(card, points, sample, kind, TOP_REASONS)
    names = list(card.features)
    values = sample[names].to_numpy(dtype=object)
    for i in range(len(sample)):  # as accounts._reasons gives one row's
        row = dict(zip(names, values[i]))
        one = top_adverse(((c.name, p - c.mean_points, c.max_points - p)
                           for c, p in zip(card.characteristics, points[i].tolist())),
                          row, kind, "points", -1, TOP_REASONS, card=card)
        assert many[i] == one, (i, one, many[i])
    assert sum(len(r) for r in many) > len(sample)  # reasons were given, with their texts
    assert all(r.text_en and r.text_zh for reasons in many for r in reasons)
