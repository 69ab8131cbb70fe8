"""A category column becomes one object per category, shared by its rows, with None where it is
missing: the values a per-row conversion gives, without a string object per row (issue 19 §3)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from riskmodels.features import build_features
from riskmodels.features._arrays import category_objects
from riskmodels.features.behavior import build_behavior_features


def _per_row(column: pd.Series) -> list[object]:
    values = column.to_numpy(dtype=object)
    return [None if pd.isna(v) else v for v in values]


@given(st.lists(st.one_of(st.none(), st.sampled_from(["retail", "catering", "制造业", ""])), max_size=60),
       st.sampled_from(["object", "str", "category"]))
def test_values_are_the_per_row_conversions(values: list[str | None], dtype: str) -> None:
    column = pd.Series(values, dtype=dtype)
    converted = category_objects(column)
    assert converted.dtype == object and converted.tolist() == _per_row(column)
    present = [v for v in converted if v is not None]
    assert len({id(v) for v in present}) == len(set(present))  # one object per category


def test_the_feature_frames_share_their_categories(portfolio_dir: Path) -> None:
    snapshots = pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet")
    industry = build_behavior_features(snapshots)["bh_industry"].to_numpy()
    assert industry.tolist() == _per_row(snapshots["industry"])
    applications = pd.read_parquet(portfolio_dir / "applications.parquet").head(5_000)
    features = build_features(applications)
    shared = [name for name in features.columns if features[name].dtype == object]
    assert shared  # the applications have categorical features
    for name in shared:
        present = features[name].to_numpy()[pd.notna(features[name].to_numpy())]
        assert len({id(v) for v in present}) == len(set(present)), name
