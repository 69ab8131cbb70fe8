"""Raw applications -> model features, for a frame (training, batch) or one dict (live API).

Both entry points call the same source functions, each feature's formula written once: a
frame becomes a batch of column arrays, one dict a batch of Python scalars (see ``_arrays``:
numpy's per-call cost would be most of the live path's budget on a single row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.contract import APPLICATIONS
from riskmodels.features import antifraud, bureau, flow, judicial, pos, registry, tax
from riskmodels.features._arrays import Columns, Features, Value, category_objects, fmax
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


def observed_annual_revenue(flow_annual_inflow: Value, tax_sales_last_year: Value) -> Value:
    """The best observed annual revenue: the larger of account inflow and declared sales.

    Each source understates a small business (sales paid in cash or to another bank never
    reach the account; sales are under-declared to the tax bureau), so the larger one is the
    better estimate. NaN when neither source is present.
    """
    return fmax(flow_annual_inflow, tax_sales_last_year)


def build_feature_arrays(cols: Columns) -> Features:
    """Column batch (raw name -> 1-D array, or one row's scalars) -> feature batch (name -> the same)."""
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
        return category_objects(series)
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
    raw = list(map(application.get, _NUMERIC_INPUTS))
    try:
        # As numpy converts a column: None -> NaN, booleans -> 0/1, numeric strings parsed.
        numbers = [math.nan if value is None else float(value) for value in raw]
    except (TypeError, ValueError) as exc:
        name, value = next((n, v) for n, v in zip(_NUMERIC_INPUTS, raw, strict=True) if not _is_number(v))
        raise ValueError(f"{name} must be a number, a boolean or null; got {value!r}") from exc
    cols: dict[str, Value] = dict(zip(_NUMERIC_INPUTS, numbers, strict=True))
    for name in _CATEGORICAL:
        value = application.get(name)
        # A NaN category (from a pandas row's to_dict) is a missing one, like None.
        cols[name] = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
    return {name: value if name in _CATEGORICAL_FEATURES else float(value)
            for name, value in build_feature_arrays(cols).items()}


def _is_number(value: Any) -> bool:
    try:
        float(math.nan if value is None else value)
    except (TypeError, ValueError):
        return False
    return True
