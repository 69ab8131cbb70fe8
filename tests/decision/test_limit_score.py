"""The limit score: characteristics drawing on a missing source (of the policy's list) held at
their worst bin; the rest keep their points."""

from __future__ import annotations

import math

from riskmodels.decision.limit_score import LimitSizing, sources_drawn_on
from riskmodels.scorecard.compiled import CompiledScorecard

NAN = math.nan


def _feature(name: str, points: list[float], missing: float) -> dict:
    bins = [{"label": f"b{i}", "points": p, "woe": 0.0, "count": 10, "event_rate": 0.05} for i, p in enumerate(points)]
    return {"name": name, "type": "numeric", "coef": -1.0, "splits": [float(i + 1) for i in range(len(points) - 1)],
            "bins": bins, "special_bins": [],
            "missing_bin": {"label": "Missing", "points": missing, "woe": 0.0, "count": 10, "event_rate": 0.05},
            "mean_points": sum(points) / len(points), "max_points": max(points)}


CARD = CompiledScorecard({
    "spec_version": 1, "kind": "woe_logistic_scorecard",
    "scale": {"base_points": 60, "base_odds": 17, "pdo": 7, "min_score": 0, "max_score": 100},
    "intercept": -3.0, "unseen_category": "missing_bin",
    "split_rule": "a value equal to a split point falls in the bin to its right",
    "features": [_feature("pos_volume_12m", [5.0, 10.0, 20.0], missing=15.0),        # POS
                 _feature("bureau_debt_to_revenue", [25.0, 15.0, 2.0], missing=12.0),  # flow and tax
                 _feature("pb_overdue_le30_24m", [30.0, 10.0], missing=8.0)],          # personal bureau
})


def _points(**values: float) -> tuple[float, float]:
    features = {"pos_volume_12m": 0.5, "bureau_debt_to_revenue": 0.5, "pb_overdue_le30_24m": 0.5,
                "flow_mean_inflow": 1.0, "tax_mean_yearly": 1.0, **values}
    sizing = LimitSizing.of(CARD, ["flow", "tax", "pos"])
    return sum(CARD.characteristic_points_one(features).values()), sizing.points(CARD.contributions_one(features),
                                                                                 features)


def test_the_sources_a_characteristic_draws_on() -> None:
    assert sources_drawn_on("pos_volume_12m") == {"pos"}
    assert sources_drawn_on("bureau_debt_to_revenue") == {"flow", "tax"}  # over the observed revenue


def test_with_every_source_there_the_limit_score_is_the_score() -> None:
    score, limit = _points()
    assert limit == score == 5.0 + 25.0 + 30.0


def test_a_missing_source_holds_what_draws_on_it_at_the_worst_bin() -> None:
    # No POS: the card prices it at its own 15 points, the limit score at the worst bin's 5.
    score, limit = _points(pos_volume_12m=NAN)
    assert (score, limit) == (15.0 + 25.0 + 30.0, 5.0 + 25.0 + 30.0)
    # No tax data: the debt-to-revenue characteristic (over flow and tax) falls to 2 points,
    # although its own value is still there (the revenue falls back to the account's).
    score, limit = _points(tax_mean_yearly=NAN)
    assert (score, limit) == (5.0 + 25.0 + 30.0, 5.0 + 2.0 + 30.0)
    # The personal bureau is not the policy's to hold: its missing bin stands.
    score, limit = _points(pb_overdue_le30_24m=NAN, pos_volume_12m=NAN)
    assert limit == 5.0 + 25.0 + 8.0


def test_only_the_policys_sources_are_held() -> None:
    features = {"pos_volume_12m": NAN, "bureau_debt_to_revenue": 0.5, "pb_overdue_le30_24m": 0.5,
                "flow_mean_inflow": 1.0, "tax_mean_yearly": 1.0}
    sizing = LimitSizing.of(CARD, ["tax"])
    assert sizing.points(CARD.contributions_one(features), features) == 15.0 + 25.0 + 30.0
    assert sizing.missing_sources(features) == frozenset()
