"""NaN-aware numpy helpers shared by the source modules; none of them warns or loops per row.

Every source function takes a column batch (raw column name -> 1-D array, floats with NaN for
nulls, categoricals as object arrays with None) and returns feature name -> 1-D array. One row
is a batch of length 1, so training, batch scoring and the live API run the same code. On a
single row each numpy call costs about a microsecond whatever its size, so the helpers keep
the number of calls low rather than the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from riskmodels.contract import MONTHS

Columns = Mapping[str, np.ndarray]
Features = dict[str, np.ndarray]


def numeric(cols: Columns, name: str) -> np.ndarray:
    return np.asarray(cols[name], dtype=float)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 or NaN: a ratio over nothing is unknown, not infinite."""
    safe = np.array(den, dtype=float)  # a copy; cheaper than np.where on one row
    safe[safe == 0] = np.nan  # dividing by NaN is silent, by 0 is not
    return num / safe


def monthly_names(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_m{m:02d}" for m in range(1, MONTHS + 1))


class Monthly(NamedTuple):
    """A 12-month series (rows x months, m01 the most recent) and its NaN-aware summaries."""

    values: np.ndarray
    missing: np.ndarray  # month not reported
    count: np.ndarray  # months reported; 0 means the source is missing for the row
    mean: np.ndarray  # mean over reported months, NaN when none

    @property
    def per_year(self) -> np.ndarray:
        # Annualised, so a month lost in transfer does not read as a month without business.
        return self.mean * MONTHS

    def recent_mean(self, months: int) -> np.ndarray:
        """Mean over the ``months`` most recent months reported."""
        missing = self.missing[:, :months]
        total = np.where(missing, 0.0, self.values[:, :months]).sum(axis=1)
        return ratio(total, months - missing.sum(axis=1))

    def older_mean(self, months: int) -> np.ndarray:
        """Mean over the reported months older than the ``months`` most recent."""
        missing = self.missing[:, months:]
        total = np.where(missing, 0.0, self.values[:, months:]).sum(axis=1)
        return ratio(total, MONTHS - months - missing.sum(axis=1))

    def months_where(self, condition: np.ndarray) -> np.ndarray:
        """Months meeting ``condition`` (False where not reported); NaN without the source."""
        return np.where(self.count > 0, condition.sum(axis=1), np.nan)

    def variation(self) -> np.ndarray:
        """Coefficient of variation: population standard deviation over the mean."""
        deviation = np.where(self.missing, 0.0, self.values - self.mean[:, None])
        return ratio(np.sqrt(ratio(np.square(deviation).sum(axis=1), self.count)), self.mean)


def monthly(cols: Columns, *series: tuple[str, ...]) -> list[Monthly]:
    """One ``Monthly`` per tuple of 12 month columns (from ``monthly_names``).

    The series of a source are stacked and summarised together: one numpy call per step for
    all of them instead of one per series.
    """
    values = np.array([[cols[name] for name in names] for names in series], dtype=float).transpose(0, 2, 1)
    missing = np.isnan(values)
    count = MONTHS - missing.sum(axis=2)
    mean = ratio(np.where(missing, 0.0, values).sum(axis=2), count)
    return [Monthly(values[i], missing[i], count[i], mean[i]) for i in range(len(series))]


def null_as_zero(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=float)
    out[np.isnan(out)] = 0.0
    return out
