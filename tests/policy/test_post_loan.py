"""Post-loan policy: B-card actions and limits, C-card treatments and call order, YAML errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import riskmodels.training
from riskmodels.policy.post_loan import (
    DEFAULT_POLICY_PATH,
    PolicyError,
    PostLoanPolicy,
    behavior_actions,
    collection_plan,
    collection_treatments,
    compare_orderings,
    cure_order,
    load_post_loan_policy,
    recovered_balance_in_first_n,
    rule_order,
)


@pytest.fixture(scope="module")
def policy() -> PostLoanPolicy:
    return load_post_loan_policy()


# -- B card ---------------------------------------------------------------------------------
def _accounts(*overrides: dict[str, Any]) -> pd.DataFrame:
    healthy = {"limit_amount": 200_000.0, "balance": 100_000.0, "dpd": 0, "worst_dpd_3m": 0, "worst_dpd_6m": 0,
               "inflow_month": 100_000.0, "inflow_baseline": 100_000.0, "new_large_loan_other_bank": False,
               "months_to_maturity": 1}
    return pd.DataFrame([{**healthy, **o} for o in overrides])


def test_actions_at_their_thresholds(policy: PostLoanPolicy) -> None:
    cases = [  # (overrides, B score, expected action)
        ({}, 70.0, "renew"),                                  # class A, clean: 续贷 offered
        ({}, 69.99, "keep"),                                  # class B
        ({"worst_dpd_6m": 1}, 90.0, "keep"),                  # one day late in 6 months: no renewal
        ({"inflow_month": 79_999.0}, 90.0, "keep"),           # flow under 80% of baseline
        ({"new_large_loan_other_bank": True}, 90.0, "keep"),  # fresh co-debt
        ({}, 59.99, "reduce"),                                # class D
        ({"worst_dpd_3m": 30}, 67.0, "reduce"),               # class B, 30+ DPD within 3 months
        ({"worst_dpd_3m": 29}, 67.0, "keep"),
        ({"dpd": 30, "worst_dpd_3m": 30}, 90.0, "freeze"),    # currently 30+ DPD
        ({"inflow_month": 0.0}, 95.0, "freeze"),              # no flow this month (seed rule)
    ]
    frame = _accounts(*(c[0] for c in cases))
    out = behavior_actions(frame, np.array([c[1] for c in cases]), policy)
    assert out["action"].tolist() == [c[2] for c in cases]
    assert out["unused_limit_frozen"].tolist() == [c[2] == "freeze" for c in cases]
    assert (out.loc[out["action"] == "freeze", "available_limit"] == 0).all()
    assert out["risk_class"].tolist() == ["A", "B", "A", "A", "A", "D", "B", "B", "A", "A"]


def test_class_boundaries_are_odds_on_the_b_cards_line(policy: PostLoanPolicy) -> None:
    # The classes and the renewal score are odds good:bad on the B card's points line (the
    # training config's scale): A from 80:1, B from 40:1, C from 20:1, where 80, 70 and 60 put
    # them on the old line (10 points per doubling). Changing the scale without the policy
    # (or the reverse) moves every account's class and action.
    from riskmodels.scorecard.scaling import ScoreScale

    raw = yaml.safe_load((Path(riskmodels.training.__file__).parent / "configs" / "behavior.yaml")
                         .read_text(encoding="utf-8"))
    line = ScoreScale(**raw["scorecard"]["scale"])
    odds = {c.name: (1 - line.to_pd(c.min_score)) / line.to_pd(c.min_score) for c in policy.classes[:-1]}
    assert odds == pytest.approx({"A": 80.0, "B": 40.0, "C": 20.0}, rel=1e-9)
    assert policy.behavior.renew.min_score == policy.classes[0].min_score  # renew: class A's odds
    assert line.to_pd(policy.classes[0].min_score) == pytest.approx(1 / 81, rel=1e-9)  # 6-month PD 1.23%
    # The line does not saturate on the book: 0 and 100 are odds 20:4,096 and 5,120:1.
    assert (line.to_pd(line.max_score), line.to_pd(line.min_score)) == pytest.approx((1 / 5121, 4096 / 4116))


def test_renewal_only_inside_the_window_before_maturity(policy: PostLoanPolicy) -> None:
    # A good account (class A, clean, flow steady) is offered 续贷 only when its term ends within
    # renew.window_months (2); further out it is kept, and its limit is not touched by the timing.
    assert policy.behavior.renew.window_months == 2
    months = [0, 1, 2, 3, 11]
    frame = _accounts(*({"months_to_maturity": m} for m in months))
    out = behavior_actions(frame, np.full(len(months), 90.0), policy)
    assert out["action"].tolist() == ["renew", "renew", "renew", "keep", "keep"]
    assert (out["new_limit"] == out["limit_amount"]).all()
    # Inside the window a weak account is still not renewed; a wider window reaches month 3.
    weak = behavior_actions(_accounts({"months_to_maturity": 0, "worst_dpd_6m": 5}), np.array([90.0]), policy)
    assert weak["action"].tolist() == ["keep"]
    wide = policy.model_copy(update={"behavior": policy.behavior.model_copy(
        update={"renew": policy.behavior.renew.model_copy(update={"window_months": 3})})})
    assert behavior_actions(frame, np.full(len(months), 90.0), wide)["action"].tolist()[3] == "renew"
    with pytest.raises(ValueError, match="behavior_snapshots must have column 'months_to_maturity'"):
        behavior_actions(_accounts({}).drop(columns="months_to_maturity"), np.array([90.0]), policy)


def test_flow_rules_compare_with_last_years_comparable_month(policy: PostLoanPolicy) -> None:
    # Festival month: flow at 60% of the pre-loan mean but level with last year's festival month.
    festival = {"inflow_month": 60_000.0, "inflow_same_month_last_year": 60_000.0}
    # Year-end peak: 15% over the pre-loan mean but under last December's.
    peak = {"inflow_month": 115_000.0, "inflow_same_month_last_year": 120_000.0}
    growing = {"inflow_month": 115_000.0, "inflow_same_month_last_year": 100_000.0}
    frame = _accounts(festival, {"inflow_month": 60_000.0}, peak, {"inflow_month": 115_000.0}, growing,
                      {"inflow_same_month_last_year": 0.0})
    out = behavior_actions(frame, np.full(6, 90.0), policy)
    assert out["action"].tolist() == ["renew", "keep", "renew", "renew", "renew", "renew"]
    # Raise (+10%) only on flow rising like for like; without last year's month, the baseline decides.
    assert out["new_limit"].tolist() == [200_000, 200_000, 200_000, 220_000, 220_000, 200_000]


def test_monthly_limit_adjustment(policy: PostLoanPolicy) -> None:
    frame = _accounts(
        {"inflow_month": 110_000.0},                                   # A, flow up 10%: +10%
        {"inflow_month": 109_000.0},                                   # A, flow up 9%: unchanged
        {"inflow_month": 150_000.0, "limit_amount": 1_900_000.0},      # raise capped at 2,000,000
        {"inflow_month": 150_000.0, "limit_amount": 2_500_000.0},      # above the cap already: kept
        {},                                                            # D: -20%
        {"balance": 190_000.0},                                        # D: never below the balance
        {"inflow_month": 0.0},                                         # freeze: limit kept, unused frozen
    )
    scores = np.array([85, 85, 85, 85, 40, 40, 85], dtype=float)
    out = behavior_actions(frame, scores, policy)
    assert out["new_limit"].tolist() == [220_000, 200_000, 2_000_000, 2_500_000, 160_000, 190_000, 200_000]
    assert out["limit_change_share"].iloc[0] == pytest.approx(0.10)
    assert out["available_limit"].tolist() == [120_000, 100_000, 1_900_000, 2_400_000, 60_000, 0, 0]


def test_actions_refuse_bad_scores(policy: PostLoanPolicy) -> None:
    with pytest.raises(ValueError, match="b_scores must be 2 numbers without NaN"):
        behavior_actions(_accounts({}, {}), np.array([70.0, np.nan]), policy)
    with pytest.raises(ValueError, match="behavior_snapshots must have column 'dpd'"):
        behavior_actions(_accounts({}).drop(columns="dpd"), np.array([70.0]), policy)


# -- C card ---------------------------------------------------------------------------------
def test_treatments_at_thresholds(policy: PostLoanPolicy) -> None:
    cases = pd.DataFrame({"dpd_bucket": ["1-29"] * 4 + ["30-59"] * 3 + ["60-89", "60-89", "90+"]})
    cure = np.array([0.70, 0.6999, 0.40, 0.3999, 0.40, 0.20, 0.1999, 0.25, 0.2499, 0.99])
    assert collection_treatments(cases, cure, policy).tolist() == [
        "sms", "phone_call", "phone_call", "field_visit", "phone_call", "field_visit", "legal",
        "field_visit", "legal", "legal"]
    with pytest.raises(ValueError, match="dpd_bucket column with values in"):
        collection_treatments(pd.DataFrame({"dpd_bucket": ["120+"]}), np.array([0.5]), policy)


def _cases(balance: list[float], cured: list[int], b_score: list[float] | None = None,
           industry: list[str] | None = None) -> pd.DataFrame:
    n = len(balance)
    return pd.DataFrame({"case_id": [f"C{i}" for i in range(n)], "balance": balance, "cured_30d": cured,
                         "dpd_bucket": ["1-29"] * n, "latest_b_score": b_score or [50.0] * n,
                         "industry": industry or ["retail"] * n})


def test_rule_order_amount_then_grade_then_industry(policy: PostLoanPolicy) -> None:
    cases = _cases(balance=[100, 500, 100, 100, 100], cured=[0] * 5,
                   b_score=[75, 10, 62, 62, 62], industry=["retail", "retail", "technology", "entertainment", "mining"])
    # 500 first; then among the 100s: class C (62) before class A (75); entertainment before mining
    # before technology (the policy's industry risk order).
    assert rule_order(cases, policy).tolist() == [1, 3, 4, 2, 0]


def test_recovered_balance_in_first_n() -> None:
    cases = _cases(balance=[100, 60, 30], cured=[0, 1, 1])
    assert recovered_balance_in_first_n(cases, np.array([1, 2, 0]), 1) == 60
    assert recovered_balance_in_first_n(cases, np.array([0, 1, 2]), 2) == 60
    assert recovered_balance_in_first_n(cases, np.array([0, 1, 2]), 10) == 90  # n beyond the list: all
    assert recovered_balance_in_first_n(cases, np.array([0, 1, 2]), 0) == 0
    with pytest.raises(ValueError, match="n must be a non-negative integer; got -1"):
        recovered_balance_in_first_n(cases, np.array([0, 1, 2]), -1)
    with pytest.raises(ValueError, match="order must be distinct row positions"):
        recovered_balance_in_first_n(cases, np.array([0, 0, 1]), 1)
    with pytest.raises(ValueError, match="order must be distinct row positions"):
        recovered_balance_in_first_n(cases, np.array([0, 3]), 1)


def test_c_card_order_beats_the_rule_order_where_the_answer_is_known(policy: PostLoanPolicy) -> None:
    # Three big balances that will not cure and three medium ones that will; a C card that
    # knows it calls the medium ones first, the amount rule calls the big ones first.
    cases = _cases(balance=[100, 100, 100, 60, 60, 60], cured=[0, 0, 0, 1, 1, 1])
    cure = np.array([0.1, 0.1, 0.1, 0.9, 0.9, 0.9])
    assert cure_order(cases, cure)[:3].tolist() == [3, 4, 5]
    comparison = compare_orderings(cases, cure, 3, policy)
    assert (comparison.c_card, comparison.rule, comparison.total_cured_balance) == (180, 0, 180)
    assert np.isnan(comparison.lift)
    plan = collection_plan(cases, cure, policy)
    assert plan["case_id"].tolist()[:3] == ["C3", "C4", "C5"] and plan["priority"].tolist() == list(range(1, 7))
    assert plan.set_index("case_id").loc["C3", "expected_recovery"] == pytest.approx(54)
    assert plan.set_index("case_id").loc["C0", "treatment"] == "field_visit"


# -- the YAML -------------------------------------------------------------------------------
def _write(tmp_path: Path, edit: dict[str, Any]) -> Path:
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    for dotted, value in edit.items():
        *parents, leaf = dotted.split(".")
        node = raw
        for key in parents:
            node = node[key]
        node[leaf] = value
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, message", [
    ({"behavior.limit_adjustment.raise_share": 1.5},
     r"behavior\.limit_adjustment\.raise_share input should be less than or equal to 1; got 1\.5"),
    ({"behavior.reduce.classes": ["E"]},
     r"behavior\.reduce\.classes must name classes of \['A', 'B', 'C', 'D'\]; got \['E'\]"),
    ({"behavior.renew.typo": 1}, r"behavior\.renew\.typo is not a known setting"),
    ({"behavior.renew.window_months": -1},
     r"behavior\.renew\.window_months input should be greater than or equal to 0; got -1"),
    ({"behavior.renew.window_months": 1.5}, r"behavior\.renew\.window_months must be a whole number; got 1\.5"),
    ({"classes": [{"name": "A", "min_score": 60}, {"name": "B", "min_score": 80}, {"name": "D", "min_score": 0}]},
     r"classes must run from best to worst .*got \[60\.0, 80\.0, 0\.0\]"),
    ({"collection.treatments.30-59": [{"min_cure_prob": 0.2, "treatment": "phone_call"},
                                       {"min_cure_prob": 0.5, "treatment": "legal"}]},
     r"treatments\['30-59'\] must list strictly decreasing min_cure_prob ending at 0.*got \[0\.2, 0\.5\]"),
    ({"collection.treatments.90+": [{"min_cure_prob": 0.0, "treatment": "prayer"}]},
     r"treatment must be one of 'sms'"),
    ({"collection.industry_risk_order": ["retail"]}, r"industry_risk_order must name every industry"),
    ({"early_warning.flow_drop.months": 0}, r"early_warning\.flow_drop\.months input should be greater than or equal to 1; got 0"),
])
def test_invalid_policies_name_the_field(tmp_path: Path, edit: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_post_loan_policy(_write(tmp_path, edit))


def test_missing_bucket_and_missing_file(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    del raw["collection"]["treatments"]["60-89"]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"must cover every DPD bucket .*missing \['60-89'\]"):
        load_post_loan_policy(path)
    with pytest.raises(FileNotFoundError, match="post-loan policy must be an existing YAML file"):
        load_post_loan_policy(tmp_path / "absent.yaml")


def test_c_card_order_beats_the_rule_order_on_the_simulator(portfolio_dir: Path, policy: PostLoanPolicy) -> None:
    """A C card fitted on the training months recovers more balance in the first fifth of the
    held-out cases' calls than the seed's amount / grade / industry order."""
    from riskmodels.data.splits import SplitConfig, split_by_month
    from riskmodels.features.collection import build_collection_features
    from riskmodels.scorecard import ScorecardConfig, ScorecardModel

    cases = pd.read_parquet(portfolio_dir / "collection_cases.parquet")
    raw = yaml.safe_load((Path(riskmodels.training.__file__).parent / "configs" / "collection.yaml")
                         .read_text(encoding="utf-8"))
    not_cured = (cases[raw["target"]].to_numpy(dtype=int) == raw["event_value"]).astype(int)
    train = (split_by_month(cases[raw["date_column"]], SplitConfig.model_validate(raw["split"])) == "train").to_numpy()
    features = build_collection_features(cases)
    model = ScorecardModel.from_config(ScorecardConfig.model_validate(raw["scorecard"]))
    model.fit(features[train], not_cured[train])
    held_out = cases[~train].reset_index(drop=True)
    cure = 1 - model.predict_pd(features[~train])
    comparison = compare_orderings(held_out, cure, len(held_out) // 5, policy)
    assert comparison.c_card > comparison.rule, comparison
