"""Contract-valid application frames built with numpy: every column, missing sources included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import APPLICATIONS, OPTIONAL_SOURCES, Column

MISSING_SHARE = 0.25  # share of rows without each optional source


def _draw(column: Column, n: int, rng: np.random.Generator) -> np.ndarray:
    lo = column.minimum or 0
    if column.dtype == "float" and column.unit == "CNY":
        return np.round(rng.lognormal(11, 1.2, n), 2)
    if column.dtype == "float":
        return rng.uniform(lo, min(column.maximum or 100, lo + 40), n)
    if column.dtype == "int":
        values = rng.integers(int(lo), int(min(column.maximum or 100, lo + 60)) + 1, n)
        for code in column.special_codes:  # e.g. -1 = never overdue
            values = np.where(rng.random(n) < 0.3, code, values)
        return values
    if column.dtype == "bool":
        return rng.random(n) < 0.3
    if column.dtype == "category":
        return rng.choice(np.array(column.categories, dtype=object), n)
    if column.dtype == "date":
        return (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")).to_numpy()
    return np.array([f"{column.name}-{i}" for i in range(n)], dtype=object)


def make_applications(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c.name: _draw(c, n, rng) for c in APPLICATIONS.columns})
    for source in OPTIONAL_SOURCES:
        absent = rng.random(n) < MISSING_SHARE
        for column in APPLICATIONS.by_source(source):
            frame[column.name] = frame[column.name].mask(absent)
    # Nullable columns as a warehouse export would type them (pandas extension dtypes).
    for column in APPLICATIONS.columns:
        if column.nullable and column.dtype == "int":
            frame[column.name] = frame[column.name].astype("Int64")
        elif column.nullable and column.dtype == "bool":
            frame[column.name] = frame[column.name].astype("boolean")
        elif column.dtype == "category":
            frame[column.name] = frame[column.name].astype("category")
    return frame


@pytest.fixture(scope="module")
def applications() -> pd.DataFrame:
    """300 rows, 25% without each optional source, plus three hand-made edge cases."""
    frame = make_applications(300, seed=3)
    months = range(1, 13)
    for m in months:  # row 0: an account with no inflow at all (ratios over zero)
        frame.loc[0, f"inflow_m{m:02d}"] = 0.0
        frame.loc[0, f"outflow_m{m:02d}"] = 0.0
    pattern = [5, 0, 0, 3, 0, 0, 0, 1, 2, 2, 0, 4]  # row 1: POS with a 3-month gap, m01 first
    for m, volume in zip(months, pattern):
        frame.loc[1, f"pos_volume_m{m:02d}"] = float(volume)
        frame.loc[1, f"pos_count_m{m:02d}"] = volume
    for column in (*APPLICATIONS.by_source("flow"), *APPLICATIONS.by_source("tax")):
        frame.loc[2, column.name] = None  # row 2: no flow and no tax, so no observed revenue
    return frame
