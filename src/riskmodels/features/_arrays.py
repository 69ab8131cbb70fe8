"""NaN-aware helpers shared by the source modules: one formula per feature, two kinds of batch.

Every source function takes a column batch (raw column name -> values) and returns feature
name -> values, written once with these helpers and plain arithmetic. A batch is either

- arrays (training, batch scoring): 1-D float arrays with NaN for nulls, categoricals as object
  arrays with None; the helpers are vectorised numpy and none of them warns or loops per row;
- one row (the live API): Python floats (NaN for nulls) and str/None for categoricals; the
  helpers do the same IEEE arithmetic on scalars, because on one row each numpy call costs
  about a microsecond whatever its size and a feature set takes a few hundred of them.

The helpers dispatch on the kind of their input, so the feature formulas never know which
batch they run on. Sums over months run from the most recent month to the oldest in both
kinds (numpy reduces a column batch's strided month axis in that order), so a row gives the
same floats whichever way it is computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd

from riskmodels.contract import MONTHS

Value = Any  # np.ndarray on a column batch, float (or str/None for a category) on one row
Columns = Mapping[str, Value]
Features = dict[str, Value]
NAN = float("nan")


def _scalar(value: Value) -> bool:
    return isinstance(value, float)


def numeric(cols: Columns, name: str) -> Value:
    value = cols[name]
    return value if isinstance(value, float) else np.asarray(value, dtype=float)


def categorical(cols: Columns, name: str) -> Value:
    value = cols[name]
    return np.asarray(value, dtype=object) if isinstance(value, np.ndarray) else value


def category_objects(column: pd.Series) -> np.ndarray:
    """A category column as an array batch holds it: objects, None where missing. Each category
    is one object its rows share; converting the column made one string object per row (7M of
    them, 400 MB, in a million-application B card's snapshots)."""
    codes, categories = pd.factorize(column, use_na_sentinel=True)
    labels = np.empty(len(categories) + 1, dtype=object)  # the last one, None, is the missing value's
    labels[:-1] = np.asarray(categories, dtype=object)
    return labels[codes]


def ratio(num: Value, den: Value) -> Value:
    """num / den, NaN where den is 0 or NaN: a ratio over nothing is unknown, not infinite."""
    if _scalar(den):
        return num / den if den != 0 and den == den else NAN  # den == den: not NaN
    safe = np.array(den, dtype=float)  # a copy; cheaper than np.where on one row
    safe[safe == 0] = np.nan  # dividing by NaN is silent, by 0 is not
    return num / safe


def isnan(value: Value) -> Value:
    return math.isnan(value) if _scalar(value) else np.isnan(value)


def where(condition: Value, if_true: Value, if_false: Value) -> Value:
    """Elementwise choice (both sides are computed, as numpy does)."""
    if isinstance(condition, bool):
        return if_true if condition else if_false
    return np.where(condition, if_true, if_false)


def fmax(a: Value, b: Value) -> Value:
    """The larger of the two, ignoring a NaN on one side (NaN only when both are)."""
    if _scalar(a) and _scalar(b):
        return b if a != a else a if b != b else max(a, b)  # x != x: NaN
    return np.fmax(a, b)


def null_as_zero(values: Value) -> Value:
    if _scalar(values):
        return 0.0 if values != values else values
    out = np.array(values, dtype=float)
    out[np.isnan(out)] = 0.0
    return out


def monthly_names(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_m{m:02d}" for m in range(1, MONTHS + 1))


Predicate = Callable[[Value], Value]  # elementwise, e.g. ``lambda v: v > 0`` (False on NaN)


class Monthly(NamedTuple):
    """A 12-month series of a column batch (rows x months, m01 the most recent) and its
    NaN-aware summaries; ``RowMonthly`` is the same for one row."""

    values: np.ndarray
    missing: np.ndarray  # month not reported
    reported: np.ndarray  # months reported; 0 means the source is missing for the row
    mean: np.ndarray  # mean over reported months, NaN when none

    @property
    def per_year(self) -> np.ndarray:
        # Annualised, so a month lost in transfer does not read as a month without business.
        return self.mean * MONTHS

    def recent_mean(self, months: int) -> np.ndarray:
        """Mean over the ``months`` most recent months reported."""
        missing = self.missing[:, :months]
        total = np.where(missing, 0.0, self.values[:, :months]).sum(axis=1)
        return cast(np.ndarray, ratio(total, months - missing.sum(axis=1)))

    def older_mean(self, months: int) -> np.ndarray:
        """Mean over the reported months older than the ``months`` most recent."""
        missing = self.missing[:, months:]
        total = np.where(missing, 0.0, self.values[:, months:]).sum(axis=1)
        return cast(np.ndarray, ratio(total, MONTHS - months - missing.sum(axis=1)))

    def months_where(self, predicate: Predicate) -> np.ndarray:
        """Months meeting ``predicate`` (False where not reported); NaN without the source."""
        return np.where(self.reported > 0, predicate(self.values).sum(axis=1), np.nan)

    def longest_run(self, predicate: Predicate) -> np.ndarray:
        """Longest run of consecutive months meeting ``predicate``; NaN without the source."""
        run = longest_run_by_pattern()[predicate(self.values).astype(np.int64) @ _BIT]
        return np.where(self.reported > 0, run, np.nan)

    def variation(self) -> np.ndarray:
        """Coefficient of variation: population standard deviation over the mean."""
        deviation = np.where(self.missing, 0.0, self.values - self.mean[:, None])
        return cast(np.ndarray, ratio(np.sqrt(ratio(np.square(deviation).sum(axis=1), self.reported)), self.mean))


class RowMonthly(NamedTuple):
    """``Monthly`` for one row: the same summaries in the same order of operations, on floats."""

    values: tuple[float, ...]
    reported: float
    mean: float

    @classmethod
    def of(cls, values: tuple[float, ...]) -> RowMonthly:
        reported = [v for v in values if v == v]
        return cls(values, float(len(reported)), ratio(_sum(reported), float(len(reported))))

    @property
    def per_year(self) -> float:
        return self.mean * MONTHS

    def recent_mean(self, months: int) -> float:
        reported = [v for v in self.values[:months] if v == v]
        return cast(float, ratio(_sum(reported), float(len(reported))))

    def older_mean(self, months: int) -> float:
        reported = [v for v in self.values[months:] if v == v]
        return cast(float, ratio(_sum(reported), float(len(reported))))

    def months_where(self, predicate: Predicate) -> float:
        return float(sum(1 for v in self.values if predicate(v))) if self.reported > 0 else NAN

    def longest_run(self, predicate: Predicate) -> float:
        if not self.reported > 0:
            return NAN
        run = longest = 0
        for v in self.values:
            run = run + 1 if predicate(v) else 0
            longest = max(longest, run)
        return float(longest)

    def variation(self) -> float:
        mean = self.mean
        squares = _sum([(v - mean) * (v - mean) if v == v else 0.0 for v in self.values])
        return cast(float, ratio(math.sqrt(squares / self.reported) if self.reported > 0 else NAN, mean))


def _sum(values: list[float]) -> float:
    """Left to right from 0.0, as numpy sums a column batch's month axis (not ``math.fsum``)."""
    total = 0.0
    for v in values:
        total += v
    return total


_BIT = 1 << np.arange(MONTHS)


@cache
def longest_run_by_pattern() -> np.ndarray:
    """Longest run of set bits for every 12-bit pattern: one lookup replaces a per-month loop."""
    patterns = (np.arange(1 << MONTHS)[:, None] & _BIT) > 0
    run = np.zeros(len(patterns), dtype=np.int64)
    longest = np.zeros_like(run)
    for month in range(MONTHS):
        run = (run + 1) * patterns[:, month]
        np.maximum(longest, run, out=longest)
    return longest.astype(float)


def monthly(cols: Columns, *series: tuple[str, ...]) -> list[Any]:
    """One ``Monthly`` (or ``RowMonthly`` for one row) per tuple of 12 month columns.

    The series of a source are stacked and summarised together: one numpy call per step for
    all of them instead of one per series.
    """
    if _scalar(cols[series[0][0]]):
        return [RowMonthly.of(tuple(map(cols.__getitem__, names))) for names in series]
    values = np.array([[cols[name] for name in names] for names in series], dtype=float).transpose(0, 2, 1)
    missing = np.isnan(values)
    count = MONTHS - missing.sum(axis=2)
    mean = ratio(np.where(missing, 0.0, values).sum(axis=2), count)
    return [Monthly(values[i], missing[i], count[i], mean[i]) for i in range(len(series))]
