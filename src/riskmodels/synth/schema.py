"""From the simulator's numpy arrays to DataFrames typed exactly as the contract says.

Conventions inside the simulator: NaN marks a null number or flag; category columns are
integer codes into the contract's categories (-1 = null); dates are ``datetime64[D]``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from riskmodels.contract import Column, Table

# The two truth tables of the simulator that are not part of the bank's data contract.
BEHAVIOR_TRUTH = Table(
    "behavior_truth",
    "The simulator's hidden truth for behaviour snapshots (oracle of bad_6m_forward)",
    key=("account_id", "snapshot_date"),
    columns=(
        Column("account_id", "string", "Joins behavior_snapshots", "key"),
        Column("snapshot_date", "date", "Joins behavior_snapshots", "key"),
        Column("true_bad_6m_prob", "float", "True probability of 90+ DPD within the next 6 months", "truth",
               "ratio", 0, 1),
    ),
)
COLLECTION_TRUTH = Table(
    "collection_truth",
    "The simulator's hidden truth for collection cases (oracle of cured_30d)",
    key=("case_id",),
    columns=(
        Column("case_id", "string", "Joins collection_cases", "key"),
        Column("true_cure_prob", "float", "True probability of being current at the next month end", "truth",
               "ratio", 0, 1),
    ),
)


def pandas_dtype(column: Column) -> str:
    """The pandas dtype a contract column is held in."""
    if column.dtype == "int":
        return "Int64" if column.nullable else "int64"
    if column.dtype == "bool":
        return "boolean" if column.nullable else "bool"
    if column.dtype == "float":
        return "float64"
    if column.dtype == "date":
        return "datetime64[ns]"
    return "str"  # string and category


def _series(column: Column, values: np.ndarray) -> pd.Series | np.ndarray | ExtensionArray:
    if column.dtype == "category":
        assert column.categories is not None
        codes = np.asarray(values, dtype=np.int64)
        labels = np.array([*column.categories, None], dtype=object)  # code -1 picks None
        return pd.Series(labels[codes], dtype="str")
    if column.dtype == "string":
        return pd.Series(np.asarray(values, dtype=object), dtype="str")
    if column.dtype == "date":
        return np.asarray(values).astype("datetime64[ns]")
    if column.dtype == "float":
        return np.asarray(values, dtype=np.float64)
    if column.nullable:  # int or bool with nulls: NaN in a float array -> <NA>
        floats = np.asarray(values, dtype=np.float64)
        with_nulls = pd.array(np.nan_to_num(floats).astype(np.int64), dtype="Int64")
        with_nulls[np.isnan(floats)] = pd.NA
        return with_nulls.astype("boolean") if column.dtype == "bool" else with_nulls
    if column.dtype == "bool":
        return np.asarray(values, dtype=bool)
    ints = np.asarray(values)
    if ints.dtype.kind == "f":
        if np.isnan(ints).any():
            raise ValueError(f"column {column.name!r} must have no nulls; got NaN from the simulator")
        ints = np.round(ints)
    return ints.astype(np.int64)


def frame(table: Table, values: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """A DataFrame with exactly the table's columns, in order, in their contract dtypes."""
    return pd.DataFrame({c.name: _series(c, values[c.name]) for c in table.columns})


def month_end(month_number: np.ndarray) -> np.ndarray:
    """Last day of an absolute month number (``year * 12 + month - 1``)."""
    next_month = (np.asarray(month_number) + 1 - 1970 * 12).astype("datetime64[M]")
    return next_month.astype("datetime64[D]") - 1
