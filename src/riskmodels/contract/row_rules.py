"""Rules between the columns of one row: values each within its own range that cannot be true
together (9 inquiries in 3 months but none in 6). A score must never be earned with such a row,
so the API refuses it, naming the field at fault and the rule (``serving.schemas``).

Only rules that hold by definition are here: a count over a window is at most the count over a
longer window that holds it; "never overdue" leaves no day past due. Rules that real books
break for good reasons (tax paid above the year's declared sales, a business older than its
owner's working life) are not. A null value breaks nothing: it is missing, not contradictory.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from riskmodels.contract.tables import APPLICATIONS, BEHAVIOR_SNAPSHOTS, COLLECTION_CASES, DPD_BUCKETS, NEVER
from riskmodels.contract.types import Table

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RowRule:
    """``field`` breaks ``rule`` (in words, "must ...") in the rows where ``broken`` is True.
    ``broken`` reads the columns it names as float arrays, a null as NaN: one row (the API) or
    a whole batch (``score batch``'s rejects) alike."""

    field: str
    others: tuple[str, ...]
    rule: str
    broken: Callable[[Mapping[str, FloatArray]], BoolArray]
    # Category columns the rule reads, each as its position in the given categories (another
    # value, or a null, as NaN).
    categories: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.field, *self.others)

    def number(self, name: str, value: Any) -> float:
        """One value as the rule reads it."""
        if value is None:
            return math.nan
        if name in self.categories:
            known = self.categories[name]
            return float(known.index(value)) if value in known else math.nan
        return float(value)


def _at_most(field: str, other: str, why: str) -> RowRule:
    # A comparison with NaN is False: a null breaks nothing.
    return RowRule(field, (other,), f"must be at most {other} ({why})", lambda c: c[field] > c[other])


_NEVER = next(iter(NEVER))  # the special code "never happened"


def _none_if_never(field: str, since: str) -> RowRule:
    return RowRule(field, (since,), f"must be 0 when {since} is {_NEVER} (never overdue)",
                   lambda c: (c[since] == _NEVER) & (c[field] > 0))


def _together(field: str, other: str, what: str) -> RowRule:
    def broken(c: Mapping[str, FloatArray]) -> BoolArray:
        known = ~np.isnan(c[field]) & ~np.isnan(c[other])
        return np.asarray(known & ((c[field] > 0) != (c[other] > 0)), dtype=np.bool_)

    return RowRule(field, (other,), f"must be above 0 exactly when {other} is ({what})", broken)


def _bucket_of(field: str, days: str, buckets: tuple[str, ...]) -> RowRule:
    """``field`` names the bucket ("1-29", ..., "90+") that holds ``days``."""
    starts = np.array([float(b.split("-")[0].rstrip("+")) for b in buckets])

    def broken(c: Mapping[str, FloatArray]) -> BoolArray:
        known = ~np.isnan(c[field]) & ~np.isnan(c[days])
        held = np.searchsorted(starts, np.nan_to_num(c[days]), side="right") - 1  # -1: below the first
        return np.asarray(known & (held != np.nan_to_num(c[field], nan=-2)), dtype=np.bool_)

    return RowRule(field, (days,), f"must be the bucket that holds {days} ({', '.join(buckets)})", broken,
                   {field: buckets})


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    APPLICATIONS.name: (
        _at_most("pb_inquiries_3m", "pb_inquiries_6m", "the last 3 months are within the last 6"),
        _at_most("applications_7d", "applications_30d", "the last 7 days are within the last 30"),
        _none_if_never("pb_max_dpd_24m", "pb_months_since_overdue"),
        _none_if_never("pb_overdue_le30_24m", "pb_months_since_overdue"),
        _together("eb_max_dpd_24m", "eb_overdue_24m", "a day past due is an overdue"),
    ),
    BEHAVIOR_SNAPSHOTS.name: (
        _at_most("dpd", "worst_dpd_3m", "the month's end is within the last 3 months"),
        _at_most("worst_dpd_3m", "worst_dpd_6m", "the last 3 months are within the last 6"),
    ),
    COLLECTION_CASES.name: (
        _at_most("promises_kept_6m", "promises_made_6m", "only a promise made can be kept"),
        _bucket_of("dpd_bucket", "dpd", DPD_BUCKETS),
    ),
}


def row_breaks(table: Table, row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, rule) of every rule of ``table``'s rows that ``row`` breaks, in the rules' order."""
    broken = []
    for rule in ROW_RULES.get(table.name, ()):
        # Plain floats: the rules' operators read a scalar as they read an array, at a tenth of the cost.
        values = {name: rule.number(name, row.get(name)) for name in rule.columns}
        if rule.broken(values):  # type: ignore[arg-type]  # a float where the batch passes an array
            broken.append((rule.field, rule.rule))
    return broken
