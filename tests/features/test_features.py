"""Features: complete, NaN (never zero, never inf) for missing sources, one code path for all."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import APPLICATIONS
from riskmodels.features import (
    APPLICATION_FEATURES,
    FEATURES,
    FRAUD_FEATURES,
    SOURCE_MISSING,
    build_features,
    build_features_one,
)
from riskmodels.features.pos import _longest_run_by_pattern


@pytest.fixture(scope="module")
def features(applications: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from empty means or zero divisions
        return build_features(applications)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
    return a == b


def test_catalogue_matches_what_is_built(features: pd.DataFrame) -> None:
    assert list(features.columns) == list(FEATURES)
    for name, info in FEATURES.items():
        assert info.name == name
        assert info.risk_direction in (-1, 0, 1)
        assert set(info.needs) <= set(SOURCE_MISSING)
        assert info.adverse_en and info.adverse_zh and info.description_zh
        assert (features[name].dtype == object) == (info.kind == "categorical"), name


def test_feature_lists() -> None:
    assert not [n for n in APPLICATION_FEATURES if n.startswith("req_")]
    assert "af_device_shared" not in APPLICATION_FEATURES
    assert "bureau_inquiries_3m" in FRAUD_FEATURES and "af_declared_vs_observed_revenue" in FRAUD_FEATURES
    assert set(FRAUD_FEATURES) <= set(FEATURES)


def test_one_row_equals_frame(applications: pd.DataFrame, features: pd.DataFrame) -> None:
    for i in [0, 1, 2, *range(3, 300, 37)]:
        raw = {k: (None if pd.isna(v) else v) for k, v in applications.iloc[i].to_dict().items()}
        one = build_features_one(raw)
        assert set(one) == set(FEATURES)
        for name, value in one.items():
            assert _same(value, features.iloc[i][name]), (i, name, value, features.iloc[i][name])


def test_one_row_is_the_frame_to_the_last_bit(applications: pd.DataFrame) -> None:
    """The one-row path runs the same formulas on Python floats: same IEEE steps, same order of
    the monthly sums, so the same floats exactly (a rounding difference could move a bin edge),
    months missing here and there included."""
    rng = np.random.default_rng(5)
    rows = applications.iloc[:300].copy()
    months = [c.name for c in APPLICATIONS.columns if c.name[-4:-2] == "_m" and c.nullable]
    holes = rng.random((len(rows), len(months))) < 0.1
    rows[months] = rows[months].mask(holes)
    frame = build_features(rows)
    for i, raw in enumerate(rows.to_dict(orient="records")):
        one, batch = build_features_one(raw), frame.iloc[i]
        for name, value in one.items():
            other = batch[name]
            assert value == other or (value is None and other is None) or (
                isinstance(value, float) and math.isnan(value) and math.isnan(other)), (i, name, value, other)


def test_missing_sources_are_nan_not_zero(applications: pd.DataFrame, features: pd.DataFrame) -> None:
    no_pos = applications["pos_volume_m01"].isna().to_numpy()
    pos_cols = [n for n, info in FEATURES.items() if info.source == "pos"]
    assert no_pos.any() and features.loc[no_pos, pos_cols].isna().all().all()
    no_tax = applications["tax_paid_y1"].isna().to_numpy()
    assert features.loc[no_tax, "tax_grade"].map(lambda v: v is None).all()
    no_eb = applications["eb_lenders"].isna().to_numpy()
    assert features.loc[no_eb, ["eb_overdue_24m", "eb_max_dpd_24m"]].isna().all().all()
    # ...but the bureau totals still count the personal report, which always exists.
    assert features.loc[no_eb, "bureau_lenders"].notna().all()
    revenue_ratios = ["bureau_debt_to_revenue", "af_declared_vs_observed_revenue", "req_amount_to_revenue"]
    assert features.loc[2, revenue_ratios].isna().all()
    present = ~no_pos & applications["inflow_m01"].notna().to_numpy()
    assert features.loc[present, pos_cols].notna().all().all()


def test_no_infinities_and_zero_inflow_gives_nan(features: pd.DataFrame) -> None:
    numeric = features.select_dtypes("number")
    assert not np.isinf(numeric.to_numpy()).any()
    row = features.loc[0]
    assert row["flow_mean_inflow"] == 0 and row["flow_months_no_inflow"] == 12
    for name in ("flow_inflow_volatility", "flow_trend_3v12", "flow_max_inflow_share", "flow_in_out_ratio"):
        assert math.isnan(row[name]), name


def test_values_by_hand(applications: pd.DataFrame, features: pd.DataFrame) -> None:
    i = int(np.flatnonzero(applications[["inflow_m01", "tax_paid_y1", "pos_volume_m01"]].notna().all(axis=1))[3])
    raw, row = applications.iloc[i], features.iloc[i]
    inflow = np.array([raw[f"inflow_m{m:02d}"] for m in range(1, 13)], dtype=float)
    assert row["flow_mean_inflow"] == pytest.approx(inflow.mean())
    assert row["flow_inflow_volatility"] == pytest.approx(inflow.std() / inflow.mean())
    assert row["flow_trend_3v12"] == pytest.approx(inflow[:3].mean() / inflow.mean())
    assert row["flow_max_inflow_share"] == pytest.approx(raw["max_single_inflow"] / inflow.sum())
    revenue = max(inflow.sum(), raw["declared_sales_y1"])
    assert row["af_declared_vs_observed_revenue"] == pytest.approx(raw["declared_annual_revenue"] / revenue)
    debt = raw["pb_outstanding_debt"] + (0 if pd.isna(raw["eb_outstanding_debt"]) else raw["eb_outstanding_debt"])
    assert row["bureau_debt_to_revenue"] == pytest.approx(debt / revenue)
    assert row["tax_mean_yearly"] == pytest.approx((raw["tax_paid_y1"] + raw["tax_paid_y2"]) / 2)
    assert row["tax_arrears"] in (0.0, 1.0) and row["owner_has_property"] in (0.0, 1.0)
    assert features.loc[1, "pos_longest_gap"] == 3 and features.loc[1, "pos_active_months"] == 6


def test_one_row_accepts_a_pandas_row_as_is(applications: pd.DataFrame) -> None:
    no_tax = int(np.flatnonzero(applications["tax_grade"].isna())[0])
    one = build_features_one(applications.iloc[no_tax].to_dict())  # NaN, not None, for nulls
    assert one["tax_grade"] is None and math.isnan(one["tax_mean_yearly"])


def test_special_code_kept(applications: pd.DataFrame, features: pd.DataFrame) -> None:
    never = applications["pb_months_since_overdue"].to_numpy() == -1
    assert never.any() and (features.loc[never, "pb_months_since_overdue"] == -1).all()


def test_longest_gap_table_matches_brute_force() -> None:
    table = _longest_run_by_pattern()
    for pattern in np.random.default_rng(0).integers(0, 4096, 300):
        bits = format(int(pattern), "012b")
        assert table[pattern] == max(len(run) for run in bits.split("0"))


def test_absent_nullable_columns_mean_missing(applications: pd.DataFrame) -> None:
    pos_names = [c.name for c in APPLICATIONS.by_source("pos")]
    out = build_features(applications.drop(columns=pos_names).set_index(applications.index + 1000))
    assert out.index[0] == 1000 and out["pos_volume_12m"].isna().all()


def test_bad_input_is_rejected_clearly(applications: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"non-nullable.*owner_age"):
        build_features(applications.drop(columns=["owner_age"]))
    raw = {k: (None if pd.isna(v) else v) for k, v in applications.iloc[5].to_dict().items()}
    with pytest.raises(ValueError, match=r"pb_lenders must be a number"):
        build_features_one({**raw, "pb_lenders": "three"})
