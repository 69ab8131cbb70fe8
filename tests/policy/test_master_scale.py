"""The master scale: the bank's grades with PD ranges, read by classes and pricing."""

from __future__ import annotations

import pytest

from riskmodels.policy import MasterScale, PolicyError, load_master_scale, load_policy, parse_policy, quote_rate
from riskmodels.policy.loader import with_master_scale_pds
from riskmodels.scorecard.scaling import ScoreScale

A_CARD_SCALE = ScoreScale(base_points=60, base_odds=17, pdo=7)  # training/configs/application.yaml


def test_the_packaged_scale_covers_every_pd_once_best_first() -> None:
    scale = load_master_scale()
    assert scale.grades[-1].max_pd == 1
    assert [scale.grade_of(p).name for p in (0.0, 0.0005, 0.001, 0.015, 0.5, 1.0, float("nan"))] == [
        "M1", "M1", "M2", "M6", "M14", "M14", "M14"]
    low = 0.0
    for grade in scale.grades:
        assert scale.pd_range(grade.name) == (low, grade.max_pd) and low <= grade.pd < grade.max_pd
        low = grade.max_pd


def test_a_bad_scale_names_the_setting(tmp_path) -> None:
    bad = tmp_path / "scale.yaml"
    bad.write_text("grades:\n  - {name: G1, max_pd: 0.02, pd: 0.03}\n  - {name: G2, max_pd: 0.9, pd: 0.1}\n")
    with pytest.raises(PolicyError, match="master_scale"):
        load_master_scale(bad)
    with pytest.raises(ValueError):
        MasterScale.model_validate({"grades": [{"name": "G1", "max_pd": 0.5, "pd": 0.1},
                                               {"name": "G1", "max_pd": 1.0, "pd": 0.6}]})


def test_class_pds_come_from_the_master_scale_through_the_score_line() -> None:
    policy = with_master_scale_pds(load_policy(), lambda points: float(A_CARD_SCALE.to_pd(points)))
    pds = {c.name: c.pd for c in policy.classes}
    grades = policy.master_scale
    # Each class's PD is a grade PD, inside the class's PD range on the A card's line.
    assert set(pds.values()) <= {g.pd for g in grades.grades}
    assert pds["A"] < pds["B"] < pds["C"] < pds["D"]
    for name, low, high in (("A", 80, 100), ("B", 70, 80), ("C", 60, 70)):
        assert A_CARD_SCALE.to_pd(high) <= pds[name] <= A_CARD_SCALE.to_pd(low) * 1.25


def test_pricing_reads_the_applicants_grade_pd_and_never_rises_with_the_score() -> None:
    policy = with_master_scale_pds(load_policy(), lambda points: float(A_CARD_SCALE.to_pd(points)))
    assert policy.pricing.pd_source == "grade"
    rates = []
    for score in range(100, 59, -1):
        applicant_pd = float(A_CARD_SCALE.to_pd(score))
        quote = quote_rate(policy.risk_class(score), applicant_pd, policy)
        assert quote.pd == policy.master_scale.grade_of(applicant_pd).pd and quote.pd_source == "grade"
        rates.append(quote.rate_pct)
    assert rates == sorted(rates)  # a lower score never gets a lower rate


def test_a_policy_file_may_carry_its_own_master_scale() -> None:
    data = load_policy().model_dump()
    data["master_scale"] = {"grades": [{"name": "low", "max_pd": 0.02, "pd": 0.01},
                                       {"name": "high", "max_pd": 1.0, "pd": 0.1}]}
    policy = parse_policy(data)
    assert policy.master_scale.grade_of(0.05).name == "high"
