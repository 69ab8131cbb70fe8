"""The building blocks of the data contract: a column, a table, a label.

Kept apart from ``contract.py`` so that the contract itself reads as a list of tables,
and so that every consumer (quality suites, feature builders, API schemas, the simulator)
shares one vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

Dtype = Literal["int", "float", "bool", "category", "date", "string"]
# A date column's value as text is exactly YYYY-MM-DD (not a timestamp, not a Unix time).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
Unit = Literal["CNY", "months", "years", "days", "percent", "count", "ratio", "score"]
Severity = Literal["critical", "warning"]


@dataclass(frozen=True)
class Column:
    """One column of a table, with everything a check or a schema needs to know."""

    name: str
    dtype: Dtype
    description: str
    source: str
    unit: Unit | None = None
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] | None = None
    nullable: bool = False
    # Values outside [minimum, maximum] that carry a meaning of their own (e.g. -1 = never).
    special_codes: dict[int, str] = field(default_factory=dict)
    # Largest share of nulls before the quality suite complains (warning severity).
    max_null_share: float | None = None
    pii: bool = False
    # Whether a caller of the scoring API must send it (False: optional, null means missing).
    required: bool = True
    # A string column's format: a regular expression the whole value matches (written so that
    # Python and JSON Schema read it alike: ASCII classes and \uXXXX ranges, no \d or \w), and
    # the rule in words (``must be ...``) that a refusal names.
    pattern: str | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        if (self.pattern is None) != (self.rule is None):
            raise ValueError(f"column {self.name} must give both a pattern and its rule in words, or neither; "
                             f"got pattern={self.pattern!r}, rule={self.rule!r}")
        if self.pattern is not None and self.dtype != "string":
            raise ValueError(f"column {self.name} must be a string column to carry a pattern; got {self.dtype}")

    def is_numeric(self) -> bool:
        return self.dtype in ("int", "float")

    def format_problem(self, value: object) -> str | None:
        """The rule a value of a string column with a format breaks (``rule``), or None when it
        keeps it; a value that is not a string breaks ``must be a string``."""
        if self.pattern is None:
            return None
        if not isinstance(value, str):
            return "must be a string"
        return None if _compiled(self.pattern).fullmatch(value) else self.rule


@lru_cache(maxsize=64)  # a few formats, checked once per value
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class Table:
    """A table of the contract: its key and its columns, in order."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # Pairs (earlier, later) of date columns that must be ordered.
    date_order: tuple[tuple[str, str], ...] = ()
    # The column naming the account of a row, when the table holds several rows of one account
    # (its monthly snapshots, its collection cases): they share the account's fortunes, so the
    # tests that assume independent draws count one row per account.
    account: str | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"column must be one of table {self.name!r}; got {name!r}")

    def by_source(self, source: str) -> list[Column]:
        return [c for c in self.columns if c.source == source]


@dataclass(frozen=True)
class Label:
    """A modelling target and exactly how it is defined."""

    name: str
    table: str
    definition: str
    population: str
