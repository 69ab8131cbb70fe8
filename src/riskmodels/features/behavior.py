"""B-card features (行为评分卡): one month-end snapshot of a booked loan -> model features.

Same column-batch style as the application sources: ``behavior_features`` takes raw column
name -> 1-D array (a frame) or -> float (one row, ``behavior_features_one``) and returns feature
name -> values of the same kind, so the training pipeline, the daily monitoring batch and the
live ``/v1/score/behavior`` call run one formula per feature (``_arrays`` dispatches). Tax and
POS trends are null for a borrower without those sources; the feature stays NaN (its own bin).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.features._arrays import Columns, Features, Value, categorical, category_objects, numeric, ratio
from riskmodels.features.catalogue import SOURCE_MISSING, FeatureInfo

NUMERIC_COLUMNS = (
    "months_on_book", "limit_amount", "balance", "instalment_due", "balance_before_due", "dpd",
    "worst_dpd_3m", "worst_dpd_6m", "times_dpd_1_29_6m", "inflow_month", "inflow_baseline",
    "inflow_same_month_last_year",
    "avg_balance_month", "avg_balance_baseline", "new_inquiries_since_booking",
    "new_lenders_since_booking", "new_large_loan_other_bank", "tax_trend", "pos_trend",
    "a_score_origination",
)
CATEGORICAL_COLUMNS = ("industry",)
# Sources a caller may leave out altogether: the trend is then missing, not an error.
OPTIONAL_COLUMNS = frozenset({"tax_trend", "pos_trend", "inflow_same_month_last_year"})


def behavior_features(cols: Columns) -> Features:
    """Column batch of behaviour snapshots -> B-card feature batch."""
    return {
        "bh_months_on_book": numeric(cols, "months_on_book"),
        "bh_utilisation": ratio(numeric(cols, "balance"), numeric(cols, "limit_amount")),
        "bh_dpd": numeric(cols, "dpd"),
        "bh_worst_dpd_3m": numeric(cols, "worst_dpd_3m"),
        "bh_worst_dpd_6m": numeric(cols, "worst_dpd_6m"),
        "bh_times_dpd_1_29_6m": numeric(cols, "times_dpd_1_29_6m"),
        "bh_inflow_ratio": ratio(numeric(cols, "inflow_month"), numeric(cols, "inflow_baseline")),
        # Like for like (同比): the same calendar month a year earlier carries the same season, so a
        # Spring Festival or year-end swing does not move the score. Unknown without last year's flow.
        "bh_inflow_yoy": ratio(numeric(cols, "inflow_month"), numeric(cols, "inflow_same_month_last_year")),
        "bh_avg_balance_ratio": ratio(numeric(cols, "avg_balance_month"), numeric(cols, "avg_balance_baseline")),
        # Money set aside before the due date over what is due: the seeds' SMS rule, as a ratio.
        "bh_instalment_cover": ratio(numeric(cols, "balance_before_due"), numeric(cols, "instalment_due")),
        "bh_new_inquiries": numeric(cols, "new_inquiries_since_booking"),
        "bh_new_lenders": numeric(cols, "new_lenders_since_booking"),
        "bh_new_large_loan": numeric(cols, "new_large_loan_other_bank"),
        "bh_tax_trend": numeric(cols, "tax_trend"),
        "bh_pos_trend": numeric(cols, "pos_trend"),
        "bh_a_score": numeric(cols, "a_score_origination"),
        "bh_industry": categorical(cols, "industry"),
    }


def frame_columns(frame: pd.DataFrame, numeric_names: Iterable[str], categorical_names: Iterable[str],
                  optional: frozenset[str], table: str) -> dict[str, np.ndarray]:
    """A contract frame -> column batch (floats with NaN, categories as objects with None)."""
    numeric_names, categorical_names = tuple(numeric_names), tuple(categorical_names)
    missing = [n for n in (*numeric_names, *categorical_names) if n not in frame.columns and n not in optional]
    if missing:
        raise ValueError(f"{table} must have columns {missing}; got {list(frame.columns)}")
    cols: dict[str, np.ndarray] = {}
    for name in numeric_names:
        if name not in frame.columns:
            cols[name] = np.full(len(frame), np.nan)
            continue
        try:
            cols[name] = frame[name].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{table}.{name} must be numeric or boolean; got dtype {frame[name].dtype}") from exc
    for name in categorical_names:
        cols[name] = category_objects(frame[name])
    return cols


def row_columns(row: Mapping[str, Any], numeric_names: Iterable[str], categorical_names: Iterable[str],
                optional: frozenset[str], table: str) -> dict[str, Value]:
    """One contract row (a dict) -> one-row column batch: what ``frame_columns`` gives, as scalars.

    Numbers convert as numpy converts a column: None -> NaN, booleans -> 0/1; a NaN category
    (from a pandas row's ``to_dict``) is missing, like None.
    """
    numeric_names, categorical_names = tuple(numeric_names), tuple(categorical_names)
    missing = [n for n in (*numeric_names, *categorical_names) if n not in row and n not in optional]
    if missing:
        raise ValueError(f"{table} must have columns {missing}; got {list(row)}")
    cols: dict[str, Value] = {}
    for name in numeric_names:
        value = row.get(name)
        try:
            cols[name] = math.nan if value is None else float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{table}.{name} must be numeric or boolean; got {value!r}") from exc
    for name in categorical_names:
        value = row[name]
        cols[name] = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
    return cols


def features_frame(features: Features, index: pd.Index, categorical: Iterable[str]) -> pd.DataFrame:
    """Feature batch -> frame; categorical columns stay object so a missing one stays None.

    The frame wraps the arrays without copying them (pandas 3 copies by default, once into each
    Series and once more into one consolidated block: two more copies of a 7M-row B-card batch)."""
    categorical = frozenset(categorical)
    return pd.DataFrame({name: pd.Series(values, index=index, dtype=object if name in categorical else float,
                                         copy=False)
                         for name, values in features.items()}, index=index, copy=False)


def build_behavior_features(snapshots: pd.DataFrame) -> pd.DataFrame:
    """One B-card feature row per snapshot row, same index, columns in catalogue order."""
    cols = frame_columns(snapshots, NUMERIC_COLUMNS, CATEGORICAL_COLUMNS, OPTIONAL_COLUMNS, "behavior_snapshots")
    return features_frame(behavior_features(cols), snapshots.index, ("bh_industry",))


def behavior_features_one(snapshot: Mapping[str, Any]) -> dict[str, Value]:
    """B-card features of one snapshot given as a dict of raw columns (the live API's path)."""
    return behavior_features(row_columns(snapshot, NUMERIC_COLUMNS, CATEGORICAL_COLUMNS, OPTIONAL_COLUMNS,
                                         "behavior_snapshots"))


def feature_infos(entries: Iterable[tuple[Any, ...]]) -> dict[str, FeatureInfo]:
    """Entries (name, source, unit, direction, en, zh, adverse en, adverse zh[, kind]) -> infos."""
    out = {}
    for name, source, unit, direction, en, zh, adverse_en, adverse_zh, *kind in entries:
        needs = (source,) if source in SOURCE_MISSING else ()
        out[name] = FeatureInfo(name, source, kind[0] if kind else "numeric", unit, en, zh, adverse_en,
                                adverse_zh, direction, needs=needs)
    return out


BEHAVIOR_FEATURES: Mapping[str, FeatureInfo] = feature_infos((
    ("bh_months_on_book", "account", "months", 0, "Months since booking", "放款后月数",
     "Loan recently booked", "放款时间较短"),
    ("bh_utilisation", "account", "ratio", 1, "Outstanding balance over the credit limit", "额度使用率",
     "High use of the credit limit", "授信额度使用率较高"),
    ("bh_dpd", "account", "days", 1, "Days past due at month end", "月末逾期天数",
     "Currently past due", "当前处于逾期状态"),
    ("bh_worst_dpd_3m", "account", "days", 1, "Worst days past due in the last 3 months", "近3个月最长逾期天数",
     "Past due in the last 3 months", "近3个月有逾期"),
    ("bh_worst_dpd_6m", "account", "days", 1, "Worst days past due in the last 6 months", "近6个月最长逾期天数",
     "Past due in the last 6 months", "近6个月有逾期"),
    ("bh_times_dpd_1_29_6m", "account", "count", 1, "Months with 1-29 days past due, last 6 months",
     "近6个月逾期1-29天的月数", "Repeated short delinquencies", "近6个月多次短期逾期"),
    ("bh_inflow_ratio", "flow", "ratio", -1, "Account inflow this month over the pre-loan monthly mean",
     "当月结算入账与贷前月均之比", "Account inflow down against the pre-loan level", "结算流水较贷前明显下降"),
    ("bh_inflow_yoy", "flow", "ratio", -1, "Account inflow this month over the same month a year earlier",
     "当月结算入账同比", "Account inflow down on the same month last year", "结算流水同比明显下降"),
    ("bh_avg_balance_ratio", "flow", "ratio", -1, "Average daily balance this month over the pre-loan level",
     "当月日均存款与贷前水平之比", "Deposit balance down against the pre-loan level", "日均存款较贷前明显下降"),
    ("bh_instalment_cover", "account", "ratio", -1, "Deposit 3 days before the due date over the instalment",
     "还款日前3天存款余额与应还金额之比", "Deposit short of the next instalment", "还款日前存款不足以覆盖应还款"),
    ("bh_new_inquiries", "bureau", "count", 1, "Credit inquiries by other lenders since booking",
     "放款后其他机构征信查询次数", "Many credit inquiries since the loan", "放款后征信查询次数较多"),
    ("bh_new_lenders", "bureau", "count", 1, "New lenders with a balance since booking", "放款后新增授信机构数",
     "Borrowing from new lenders since the loan (co-debt)", "放款后新增多头借贷"),
    ("bh_new_large_loan", "bureau", "flag", 1, "New large loan at another lender this month (1 = yes)",
     "当月是否新增他行大额贷款", "New large loan at another lender", "新增他行大额贷款"),
    ("bh_tax_trend", "tax", "ratio", -1, "Tax paid, last 12 months over the 12 before", "近12个月纳税额与前12个月之比",
     "Falling tax paid", "纳税额下降"),
    ("bh_pos_trend", "pos", "ratio", -1, "POS volume, last 3 months over the pre-loan level",
     "近3个月POS收单与贷前水平之比", "Falling POS volume", "POS收单金额下降"),
    ("bh_a_score", "account", "score", -1, "Application score at origination", "申请评分（放款时）",
     "Low application score at origination", "放款时申请评分较低"),
    ("bh_industry", "registry", None, 0, "Industry at booking", "所属行业",
     "Industry with higher risk", "所属行业风险较高", "categorical"),
))
