"""B-card and C-card features on constructed rows, their catalogues and pipeline configs, and a
B card fitted on the simulator against the oracle."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score

import riskmodels.training
from riskmodels.contract import BEHAVIOR_SNAPSHOTS, COLLECTION_CASES
from riskmodels.data.splits import SplitConfig, split_by_month
from riskmodels.features.behavior import BEHAVIOR_FEATURES, build_behavior_features
from riskmodels.features.catalogue import FEATURES, SOURCE_MISSING, FeatureInfo
from riskmodels.features.collection import COLLECTION_FEATURES, build_collection_features
from riskmodels.monitoring.portfolio import run_portfolio_monitor
from riskmodels.scorecard import ScorecardConfig, ScorecardModel

CONFIGS = Path(riskmodels.training.__file__).parent / "configs"

SNAPSHOT = {
    "account_id": "A1", "snapshot_date": pd.Timestamp("2025-03-31"), "industry": "catering", "months_on_book": 7,
    "months_to_maturity": 5,
    "limit_amount": 200_000.0, "balance": 150_000.0, "instalment_due": 20_000.0, "balance_before_due": 10_000.0,
    "dpd": 12, "worst_dpd_3m": 12, "worst_dpd_6m": 40, "times_dpd_1_29_6m": 2, "inflow_month": 60_000.0,
    "inflow_baseline": 120_000.0, "inflow_same_month_last_year": 80_000.0, "avg_balance_month": 7_500.0, "avg_balance_baseline": 15_000.0,
    "new_inquiries_since_booking": 3, "new_lenders_since_booking": 1, "new_large_loan_other_bank": True,
    "tax_trend": 0.8, "pos_trend": 0.5, "a_score_origination": 78.0, "bad_6m_forward": 1,
}
CASE = {
    "case_id": "A1-C01", "account_id": "A1", "case_date": pd.Timestamp("2025-03-31"), "industry": "retail",
    "dpd": 35, "dpd_bucket": "30-59", "balance": 90_000.0, "limit_amount": 120_000.0,
    "previous_delinquencies_12m": 1, "contact_success_rate": 0.5, "promises_made_6m": 4, "promises_kept_6m": 1,
    "inflow_last_month": 30_000.0, "inflow_baseline": 100_000.0, "latest_b_score": 42.0, "cured_30d": 0,
}


def _rows(base: dict[str, Any], *overrides: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{**base, **o} for o in overrides])


def _quietly(build: Any, frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a division by zero
        return build(frame)


def test_behavior_features_on_constructed_rows() -> None:
    frame = _rows(SNAPSHOT, {}, {"tax_trend": None, "pos_trend": None, "inflow_same_month_last_year": None},
                  {"limit_amount": 0.0, "inflow_baseline": 0.0, "instalment_due": 0.0, "industry": None,
                   "inflow_same_month_last_year": 0.0})
    features = _quietly(build_behavior_features, frame)
    assert list(features.columns) == list(BEHAVIOR_FEATURES)
    first = features.iloc[0]
    assert first["bh_utilisation"] == pytest.approx(0.75)
    assert first["bh_inflow_ratio"] == pytest.approx(0.5) and first["bh_avg_balance_ratio"] == pytest.approx(0.5)
    assert first["bh_instalment_cover"] == pytest.approx(0.5)
    assert first["bh_inflow_yoy"] == pytest.approx(0.75)  # 60,000 against 80,000 a year earlier
    assert (first["bh_worst_dpd_3m"], first["bh_worst_dpd_6m"], first["bh_times_dpd_1_29_6m"]) == (12, 40, 2)
    assert (first["bh_new_inquiries"], first["bh_new_lenders"], first["bh_new_large_loan"]) == (3, 1, 1)
    assert (first["bh_tax_trend"], first["bh_pos_trend"], first["bh_a_score"]) == (0.8, 0.5, 78)
    assert first["bh_industry"] == "catering" and features["bh_industry"].dtype == object
    # No tax or POS source, no flow a year earlier: NaN (the missing bin), never zero.
    assert features.loc[1, ["bh_tax_trend", "bh_pos_trend", "bh_inflow_yoy"]].isna().all()
    # A ratio over nothing is unknown, not infinite; a missing category stays None.
    assert features.loc[2, ["bh_utilisation", "bh_inflow_ratio", "bh_instalment_cover", "bh_inflow_yoy"]].isna().all()
    assert features.loc[2, "bh_industry"] is None
    assert features.index.equals(frame.index)


def test_behavior_builder_without_optional_sources_and_bad_input() -> None:
    frame = _rows(SNAPSHOT, {}).drop(columns=["tax_trend", "pos_trend", "inflow_same_month_last_year"])
    features = build_behavior_features(frame)
    assert features[["bh_tax_trend", "bh_pos_trend", "bh_inflow_yoy"]].isna().all().all()
    with pytest.raises(ValueError, match=r"behavior_snapshots must have columns \['balance'\]"):
        build_behavior_features(_rows(SNAPSHOT, {}).drop(columns="balance"))
    with pytest.raises(ValueError, match="behavior_snapshots.dpd must be numeric or boolean; got dtype"):
        build_behavior_features(_rows(SNAPSHOT, {"dpd": "ten"}))


def test_collection_features_on_constructed_rows() -> None:
    frame = _rows(CASE, {}, {"contact_success_rate": None, "promises_made_6m": 0, "promises_kept_6m": 0},
                  {"dpd_bucket": "1-29", "limit_amount": 0.0}, {"dpd_bucket": "90+"})
    features = _quietly(build_collection_features, frame)
    assert list(features.columns) == list(COLLECTION_FEATURES)
    first = features.iloc[0]
    assert first["cl_balance_to_limit"] == pytest.approx(0.75)
    assert first["cl_promise_kept_ratio"] == pytest.approx(0.25) and first["cl_inflow_ratio"] == pytest.approx(0.3)
    assert (first["cl_dpd"], first["cl_previous_delinquencies"], first["cl_latest_b_score"]) == (35, 1, 42)
    assert features["cl_dpd_bucket"].tolist() == [2, 2, 1, 4]
    # Never called, no promises: unknown, not zero.
    assert np.isnan(features.loc[1, "cl_contact_success_rate"]) and np.isnan(features.loc[1, "cl_promise_kept_ratio"])
    assert np.isnan(features.loc[2, "cl_balance_to_limit"])
    without = build_collection_features(_rows(CASE, {}).drop(columns="contact_success_rate"))
    assert without["cl_contact_success_rate"].isna().all()
    with pytest.raises(ValueError, match=r"collection_cases must have columns \['promises_kept_6m'\]"):
        build_collection_features(_rows(CASE, {}).drop(columns="promises_kept_6m"))


@pytest.mark.parametrize("catalogue", [BEHAVIOR_FEATURES, COLLECTION_FEATURES])
def test_catalogue_entries(catalogue: dict[str, FeatureInfo]) -> None:
    for name, info in catalogue.items():
        assert isinstance(info, FeatureInfo) and info.name == name and name not in FEATURES
        assert info.risk_direction in (-1, 0, 1) and set(info.needs) <= set(SOURCE_MISSING)
        assert info.adverse_en and info.adverse_zh and info.description_en and info.description_zh
    assert BEHAVIOR_FEATURES["bh_tax_trend"].needs == ("tax",) and BEHAVIOR_FEATURES["bh_pos_trend"].needs == ("pos",)
    assert not set(BEHAVIOR_FEATURES) & set(COLLECTION_FEATURES)


@pytest.mark.parametrize("kind, catalogue, table", [
    ("behavior", BEHAVIOR_FEATURES, BEHAVIOR_SNAPSHOTS), ("collection", COLLECTION_FEATURES, COLLECTION_CASES)])
def test_pipeline_configs(kind: str, catalogue: dict[str, FeatureInfo], table: Any) -> None:
    raw = yaml.safe_load((CONFIGS / f"{kind}.yaml").read_text(encoding="utf-8"))
    assert raw["model_name"] == f"sme-{kind}-scorecard"
    assert raw["target"] in table.names and raw["date_column"] in table.names
    assert raw["event_value"] == (1 if kind == "behavior" else 0)  # C card: the bad event is NOT cured
    config = ScorecardConfig.model_validate(raw["scorecard"])
    assert set(config.features) <= set(catalogue)
    assert set(config.categorical_features) == {n for n, i in catalogue.items() if i.kind == "categorical"}


def test_b_card_on_the_simulator_reaches_the_oracle(portfolio_dir: Path) -> None:
    """Fitted on the training months, the B card's out-of-time AUC is within 5% of the oracle's,
    and the fitted card runs the portfolio monitor."""
    snapshots = pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet")
    truth = pd.read_parquet(portfolio_dir / "behavior_truth.parquet")
    raw = yaml.safe_load((CONFIGS / "behavior.yaml").read_text(encoding="utf-8"))
    rows = snapshots[snapshots["bad_6m_forward"].notna()].merge(truth, on=["account_id", "snapshot_date"],
                                                                  how="left", validate="one_to_one")
    event = (rows["bad_6m_forward"].to_numpy(dtype=int) == raw["event_value"]).astype(int)
    split = split_by_month(rows["snapshot_date"], SplitConfig.model_validate(raw["split"]))
    train, oot = (split == "train").to_numpy(), (split == "oot").to_numpy()
    features = build_behavior_features(rows)
    model = ScorecardModel.from_config(ScorecardConfig.model_validate(raw["scorecard"]))
    model.fit(features[train], event[train])
    auc = roc_auc_score(event[oot], model.predict_pd(features[oot]))
    oracle = roc_auc_score(event[oot], rows["true_bad_6m_prob"].to_numpy()[oot])
    assert auc >= 0.95 * oracle, (auc, oracle)

    # The fitted card drives the daily batch as its CompiledScorecard.
    result = run_portfolio_monitor(snapshots, None, model.compiled_)
    assert result.migration is not None and int(result.migration.to_numpy().sum()) == result.n_accounts
    assert set(result.alerts["account_id"]) <= set(result.accounts["account_id"])
    assert set(result.accounts["action"]) <= {"renew", "keep", "reduce", "freeze"}

    # Seasonality: the card compares a month's flow with last year's comparable month, so the
    # Spring Festival month (January 2025) does not downgrade the book. Against the pre-loan
    # 12-month mean it flagged about 21% of accounts then, against about 8% in ordinary months.
    def downgraded(as_of: date) -> float:
        run = run_portfolio_monitor(snapshots, as_of, model.compiled_)
        return float((run.alerts["signal"] == "class_downgrade").sum() / run.n_accounts)

    ordinary = np.mean([downgraded(date(2024, m, d)) for m, d in ((4, 30), (6, 30), (8, 31), (10, 31))])
    assert downgraded(date(2025, 1, 31)) < 1.5 * ordinary, ordinary


def _same(one: dict[str, Any], frame_row: pd.Series) -> bool:
    """Bit-for-bit: equal floats, NaN where NaN, the same category (None for missing)."""
    return list(one) == list(frame_row.index) and all(
        a == b or (isinstance(a, float) and a != a and b != b)  # x != x: NaN
        for a, b in zip(one.values(), frame_row, strict=True))


def test_one_row_features_equal_the_frames_exactly(portfolio_dir: Path) -> None:
    # The live API builds one row's features on Python scalars; training on columns. Same floats.
    from riskmodels.features.behavior import behavior_features_one
    from riskmodels.features.collection import collection_features_one

    snapshots = pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet").sample(300, random_state=3)
    cases = pd.read_parquet(portfolio_dir / "collection_cases.parquet").sample(300, random_state=3)
    # Edge rows: zero denominators, missing optional sources, a missing industry, an odd bucket.
    snapshots = pd.concat([snapshots, _rows(SNAPSHOT, {"limit_amount": 0.0, "inflow_baseline": 0.0, "industry": None},
                                            {"tax_trend": None, "pos_trend": None, "instalment_due": 0.0})],
                          ignore_index=True)
    cases = pd.concat([cases, _rows(CASE, {"promises_made_6m": 0, "contact_success_rate": None},
                                    {"dpd_bucket": "120+", "limit_amount": 0.0, "industry": None})], ignore_index=True)
    for frame, build, one in ((snapshots, build_behavior_features, behavior_features_one),
                              (cases, build_collection_features, collection_features_one)):
        features = build(frame)
        rows = frame.to_dict(orient="records")
        differing = [i for i, row in enumerate(rows) if not _same(one(row), features.iloc[i])]
        assert differing == []


def test_one_row_features_reject_what_the_frame_rejects() -> None:
    from riskmodels.features.behavior import behavior_features_one

    with pytest.raises(ValueError, match=r"behavior_snapshots must have columns \['dpd'\]"):
        behavior_features_one({k: v for k, v in SNAPSHOT.items() if k != "dpd"})
    with pytest.raises(ValueError, match="behavior_snapshots.balance must be numeric or boolean; got 'lots'"):
        behavior_features_one({**SNAPSHOT, "balance": "lots"})
