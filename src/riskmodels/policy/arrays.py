"""The policy's facts, risk classes and rate on arrays: one value per application.

These are the vectorised twins of ``facts_from``, ``Policy.risk_class``, ``MasterScale.grade_of``
and ``quote_rate``, reading the same ``Policy``, so one policy file drives the answer of one
application and of a frame of them. They follow the scalar functions' floating-point steps
(the same sums in the same order, Python's ``min``/``max`` on ties and NaN, Python's ``round``
where numpy's differs) so that both give the same numbers, not merely close ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.policy.facts import FLAG_FIELDS, RAW_FIELDS, TEXT_FIELDS, ApplicationFacts
from riskmodels.policy.pricing import on_step, quote_rate
from riskmodels.policy.schema import Policy

FloatArray = np.ndarray  # float64, NaN when unknown
BoolArray = np.ndarray
ObjectArray = np.ndarray  # str or None


def py_min(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Python's ``min(a, b)`` elementwise: ``b`` only when ``b < a`` (so NaN keeps ``a``'s place)."""
    return np.where(np.less(b, a), b, a)


def py_max(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Python's ``max(a, b)`` elementwise: ``b`` only when ``b > a``."""
    return np.where(np.greater(b, a), b, a)


def isin(values: ObjectArray, options: Iterable[Any]) -> BoolArray:
    """``value in options`` elementwise (None is in nothing but a list holding None)."""
    return pd.Series(values, dtype=object).isin(list(options)).to_numpy(dtype=bool)


def is_none(values: ObjectArray) -> BoolArray:
    """Where a text is unknown (None)."""
    return np.asarray(pd.isna(values), dtype=bool)


def _number(column: pd.Series) -> FloatArray:
    return np.asarray(pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _flag(column: pd.Series) -> BoolArray:
    """True where the flag is known and true (``flag(value)`` is True); unknown reads False, as
    every rule reads ``None``."""
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        numbers = np.asarray(column.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        return np.asarray(~np.isnan(numbers) & (numbers != 0), dtype=bool)
    values = column.to_numpy(dtype=object)
    missing = pd.isna(values)
    return np.array([not m and bool(v) for v, m in zip(values, missing, strict=True)], dtype=bool)


def _text(column: pd.Series) -> ObjectArray:
    values = column.to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = np.array([str(v) for v in values], dtype=object)
    values[missing] = None
    return values


@dataclass(frozen=True)
class FactArrays:
    """``ApplicationFacts`` as columns: numbers float (NaN unknown), texts str or None, flags
    as "known and true" booleans."""

    columns: dict[str, np.ndarray]
    n: int

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(f"name must be a field of ApplicationFacts; got {name!r}") from None

    def annual_sales(self) -> FloatArray:
        """``ApplicationFacts.annual_sales``: the largest known figure, NaN when none is."""
        known = np.stack([self.tax_sales_last_year, self.flow_annual_inflow, self.pos_volume_12m,
                          self.platform_orders_12m])
        return np.asarray(np.fmax.reduce(known, axis=0), dtype=float)  # fmax skips NaN, all NaN gives NaN

    def monthly_net_flow(self) -> FloatArray:
        """``ApplicationFacts.monthly_net_flow``, branch for branch."""
        inflow, ratio = self.flow_mean_inflow, self.flow_in_out_ratio
        with np.errstate(divide="ignore", invalid="ignore"):
            net = inflow - inflow / ratio
        net = np.where(ratio <= 0, 0.0, net)
        net = np.where(np.isnan(ratio), inflow, net)
        return np.where(np.isnan(inflow), np.nan, net)


def fact_arrays(applications: pd.DataFrame, features: pd.DataFrame) -> FactArrays:
    """``facts_from`` over every row: raw fields from ``applications`` (absent: unknown),
    the rest from ``features``."""
    n = len(applications)
    columns: dict[str, np.ndarray] = {}
    for f in fields(ApplicationFacts):
        if f.name in RAW_FIELDS:
            column = applications[f.name] if f.name in applications.columns else pd.Series([None] * n, dtype=object)
        elif f.name in features.columns:
            column = features[f.name]
        else:
            raise ValueError(f"features must include {f.name!r} (see riskmodels.features); got none")
        columns[f.name] = _text(column) if f.name in TEXT_FIELDS else _flag(column) if f.name in FLAG_FIELDS else _number(column)
    return FactArrays(columns, n)


def class_index(score: FloatArray, policy: Policy) -> np.ndarray:
    """``Policy.risk_class``: the index of the first class, best first, the score reaches
    (the worst for NaN)."""
    index = np.full(score.shape, len(policy.classes) - 1, dtype=np.intp)
    for i in reversed(range(len(policy.classes))):
        index[score >= policy.classes[i].min_score] = i
    return index


def grade_index(pd_values: FloatArray, policy: Policy) -> np.ndarray:
    """``MasterScale.grade_of``: bisect_right over the grades' upper bounds; NaN is the worst."""
    grades = policy.master_scale.grades
    bounds = np.array([g.max_pd for g in grades[:-1]], dtype=float)
    index = np.searchsorted(bounds, pd_values, side="right")
    return np.where(np.isnan(pd_values), len(grades) - 1, index)


def quote_rates(classes: np.ndarray, applicant_pd: FloatArray, policy: Policy) -> FloatArray:
    """``quote_rate(...).rate_pct`` for every row (class index, applicant PD)."""
    p = policy.pricing
    if p.method == "band_multiplier":  # the rate is the class's: one quote per class
        per_class = np.array([quote_rate(c, np.nan, policy).rate_pct for c in policy.classes])
        return np.asarray(per_class[classes], dtype=float)
    if p.pd_source == "grade":
        grade_pds = np.array([g.pd for g in policy.master_scale.grades])
        priced = grade_pds[grade_index(applicant_pd, policy)]
    elif p.pd_source == "class":
        class_pds = np.array([np.nan if c.effective_pd is None else c.effective_pd for c in policy.classes])
        priced = np.where(np.isnan(class_pds[classes]), applicant_pd, class_pds[classes])
    else:
        priced = applicant_pd
    capital = p.capital_ratio * p.hurdle_rate_pct if p.flat_capital_cost_pct is None else p.flat_capital_cost_pct
    # sum(components.values()) in their order: 0 + funding + operating + expected loss + capital + margin
    unrounded = (((0 + p.funding_cost_pct) + p.operating_cost_pct) + 100 * priced * p.lgd + capital) + p.margin_pct
    # on_step rounds with Python's round(), which numpy's does not always match: once per value.
    unique, inverse = np.unique(unrounded, return_inverse=True)
    stepped = np.array([on_step(float(u), p.step_pct, p.rounding) for u in unique])[inverse]
    return py_min(py_max(stepped, p.floor_pct), p.cap_pct)
