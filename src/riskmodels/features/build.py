"""Raw applications -> model features, for a frame (training, batch) or one dict (live API).

Both entry points turn their input into the same column batch and call the same source
functions, so there is no training/serving skew to test for, only one code path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.contract import APPLICATIONS
from riskmodels.features import antifraud, bureau, flow, judicial, pos, registry, tax
from riskmodels.features._arrays import Columns, Features
from riskmodels.features.catalogue import FEATURES

INPUT_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys((
    *flow.COLUMNS, *tax.COLUMNS, *pos.COLUMNS, *bureau.COLUMNS, *registry.COLUMNS,
    *judicial.COLUMNS, *antifraud.COLUMNS,
)))
_CATEGORICAL = frozenset(n for n in INPUT_COLUMNS if APPLICATIONS.column(n).dtype in ("category", "string"))
_NUMERIC_INPUTS = tuple(n for n in INPUT_COLUMNS if n not in _CATEGORICAL)
# Nullable columns may be left out altogether (a caller without POS data sends no POS fields).
_REQUIRED = tuple(n for n in INPUT_COLUMNS if not APPLICATIONS.column(n).nullable)
_CATEGORICAL_FEATURES = frozenset(n for n, info in FEATURES.items() if info.kind == "categorical")


def observed_annual_revenue(flow_annual_inflow: np.ndarray, tax_sales_last_year: np.ndarray) -> np.ndarray:
    """The best observed annual revenue: the larger of account inflow and declared sales.

    Each source understates a small business (sales paid in cash or to another bank never
    reach the account; sales are under-declared to the tax bureau), so the larger one is the
    better estimate. NaN when neither source is present.
    """
    return np.fmax(flow_annual_inflow, tax_sales_last_year)


def build_feature_arrays(cols: Columns) -> Features:
    """Column batch (raw name -> 1-D array) -> feature batch (feature name -> 1-D array)."""
    flow_part = flow.flow_features(cols)
    tax_part = tax.tax_features(cols)
    revenue = observed_annual_revenue(flow_part["flow_annual_inflow"], tax_part["tax_sales_last_year"])
    return {
        **flow_part,
        **tax_part,
        **pos.pos_features(cols, flow_part["flow_annual_inflow"]),
        **bureau.bureau_features(cols, revenue),
        **registry.registry_features(cols, revenue),
        **judicial.judicial_features(cols),
        **antifraud.antifraud_features(cols, revenue),
    }


def _check_required(present: Any, what: str) -> None:
    missing = [name for name in _REQUIRED if name not in present]
    if missing:
        raise ValueError(f"{what} must have every non-nullable contract column; got none for {missing}")


def _frame_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object) if name in _CATEGORICAL else np.full(len(frame), np.nan)
    series = frame[name]
    if name in _CATEGORICAL:
        values = series.to_numpy(dtype=object)
        return np.where(pd.isna(values), None, values)
    try:
        return series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric or boolean; got dtype {series.dtype}") from exc


def build_features(applications: pd.DataFrame) -> pd.DataFrame:
    """One feature row per application row, same index; columns in catalogue order."""
    _check_required(applications.columns, "applications")
    features = build_feature_arrays({name: _frame_column(applications, name) for name in INPUT_COLUMNS})
    index = applications.index
    frame = pd.DataFrame({name: features[name] for name in FEATURES if name not in _CATEGORICAL_FEATURES},
                         index=index, copy=False)
    for position, name in enumerate(FEATURES):
        if name in _CATEGORICAL_FEATURES:
            # object dtype keeps None for a missing category (pandas would infer str and use NaN)
            frame.insert(position, name, pd.Series(features[name], index=index, dtype=object))
    return frame


def build_features_one(application: Mapping[str, Any]) -> dict[str, float | str | None]:
    """Features of one application given as a dict of raw columns (the live API's path)."""
    _check_required(application, "application")
    try:
        # One conversion for every number: per-column arrays would cost most of the budget.
        numbers = np.array([application.get(name) for name in _NUMERIC_INPUTS], dtype=float)[:, None]
    except (TypeError, ValueError) as exc:
        bad = [name for name in _NUMERIC_INPUTS if not _is_number(application.get(name))]
        if not bad:
            raise
        raise ValueError(f"{bad[0]} must be a number, a boolean or null; got {application.get(bad[0])!r}") from exc
    cols: dict[str, np.ndarray] = dict(zip(_NUMERIC_INPUTS, numbers))
    for name in _CATEGORICAL:
        value = application.get(name)
        # A NaN category (from a pandas row's to_dict) is a missing one, like None.
        cols[name] = np.array([None if isinstance(value, float) and math.isnan(value) else value], dtype=object)
    return {name: values[0] if name in _CATEGORICAL_FEATURES else float(values[0])
            for name, values in build_feature_arrays(cols).items()}


def _is_number(value: Any) -> bool:
    try:
        float(np.nan if value is None else value)
    except (TypeError, ValueError):
        return False
    return True
