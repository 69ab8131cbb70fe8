"""C-card features (催收评分卡): one collection case -> model features.

The C card ranks delinquent accounts by their chance to cure, so every ``risk_direction`` here
points at the scorecard's event, **not curing** (+1: higher makes a cure less likely). A case
never called has no contact rate, and one without promises no kept ratio: both stay NaN (their
own bin), as unknown is not the same as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.contract import DPD_BUCKETS
from riskmodels.features._arrays import NAN, Columns, Features, Value, categorical, numeric, ratio
from riskmodels.features.behavior import feature_infos, features_frame, frame_columns, row_columns
from riskmodels.features.catalogue import FeatureInfo

NUMERIC_COLUMNS = (
    "dpd", "balance", "limit_amount", "previous_delinquencies_12m", "contact_success_rate",
    "promises_made_6m", "promises_kept_6m", "inflow_last_month", "inflow_baseline", "latest_b_score",
)
CATEGORICAL_COLUMNS = ("dpd_bucket", "industry")
OPTIONAL_COLUMNS = frozenset({"contact_success_rate"})


_RANK = {bucket: float(rank) for rank, bucket in enumerate(DPD_BUCKETS, start=1)}


def bucket_rank(buckets: Value) -> Value:
    """Delinquency bucket -> 1 ('1-29') ... 4 ('90+'); NaN for an unknown or missing bucket.

    An ordinal, so the scorecard can hold it to a monotone trend like any number. A column
    batch gives an array, one row (a str or None) a float.
    """
    if not isinstance(buckets, np.ndarray):
        return _RANK.get(buckets, NAN) if isinstance(buckets, str) else NAN
    values = np.asarray(buckets, dtype=object)
    out = np.full(len(values), np.nan)
    for rank, bucket in enumerate(DPD_BUCKETS, start=1):
        out[values == bucket] = rank
    return out


def collection_features(cols: Columns) -> Features:
    """Column batch of collection cases -> C-card feature batch."""
    made = numeric(cols, "promises_made_6m")
    return {
        "cl_dpd": numeric(cols, "dpd"),
        "cl_dpd_bucket": bucket_rank(categorical(cols, "dpd_bucket")),
        "cl_balance": numeric(cols, "balance"),
        "cl_balance_to_limit": ratio(numeric(cols, "balance"), numeric(cols, "limit_amount")),
        "cl_previous_delinquencies": numeric(cols, "previous_delinquencies_12m"),
        "cl_contact_success_rate": numeric(cols, "contact_success_rate"),
        "cl_promises_made": made,
        "cl_promise_kept_ratio": ratio(numeric(cols, "promises_kept_6m"), made),
        "cl_inflow_ratio": ratio(numeric(cols, "inflow_last_month"), numeric(cols, "inflow_baseline")),
        "cl_industry": categorical(cols, "industry"),
        "cl_latest_b_score": numeric(cols, "latest_b_score"),
    }


def build_collection_features(cases: pd.DataFrame) -> pd.DataFrame:
    """One C-card feature row per case row, same index, columns in catalogue order."""
    cols = frame_columns(cases, NUMERIC_COLUMNS, CATEGORICAL_COLUMNS, OPTIONAL_COLUMNS, "collection_cases")
    return features_frame(collection_features(cols), cases.index, ("cl_industry",))


def collection_features_one(case: Mapping[str, Any]) -> dict[str, Value]:
    """C-card features of one case given as a dict of raw columns (the live API's path)."""
    return collection_features(row_columns(case, NUMERIC_COLUMNS, CATEGORICAL_COLUMNS, OPTIONAL_COLUMNS,
                                           "collection_cases"))


COLLECTION_FEATURES: Mapping[str, FeatureInfo] = feature_infos((
    ("cl_dpd", "account", "days", 1, "Days past due when the case opened", "入催时逾期天数",
     "Many days past due", "逾期天数较长"),
    ("cl_dpd_bucket", "account", "bucket", 1, "Delinquency bucket (1: 1-29 ... 4: 90+ days)",
     "逾期阶段（1为1-29天 … 4为90天以上）", "Late delinquency stage", "逾期阶段较深"),
    ("cl_balance", "account", "CNY", 0, "Outstanding balance", "逾期贷款余额",
     "Balance size associated with lower recovery", "贷款余额规模对应回收率较低"),
    ("cl_balance_to_limit", "account", "ratio", 1, "Outstanding balance over the credit limit",
     "贷款余额与授信额度之比", "Most of the limit still outstanding", "未还余额占授信额度比例较高"),
    ("cl_previous_delinquencies", "account", "count", 1, "Earlier delinquency episodes in 12 months",
     "近12个月此前逾期次数", "Repeated delinquency", "近12个月多次逾期"),
    ("cl_contact_success_rate", "contact", "ratio", -1, "Share of collection calls answered, last 3 months",
     "近3个月催收电话接通率", "Collection calls rarely answered", "催收电话接通率低"),
    ("cl_promises_made", "contact", "count", 0, "Promises to pay made in 6 months", "近6个月承诺还款次数",
     "Promise history associated with lower recovery", "承诺还款记录对应回收率较低"),
    ("cl_promise_kept_ratio", "contact", "ratio", -1, "Promises to pay kept over promises made, 6 months",
     "近6个月承诺还款兑现率", "Promises to pay broken", "承诺还款未兑现"),
    ("cl_inflow_ratio", "flow", "ratio", -1, "Account inflow last month over the pre-loan monthly mean",
     "上月结算入账与贷前月均之比", "Account inflow collapsed", "结算流水大幅下降"),
    ("cl_industry", "registry", None, 0, "Industry of the borrower", "所属行业",
     "Industry with lower recovery", "所属行业回收率较低", "categorical"),
    ("cl_latest_b_score", "account", "score", -1, "Latest behavioural score", "最近一期行为评分",
     "Low behavioural score", "行为评分较低"),
))
