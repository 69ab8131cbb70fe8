"""The content of a report, as typed blocks the templates lay out (``_macros.html.j2``).

A report module computes its figures, formats them into these blocks and hands them to its
template; the template decides the markup. Text is escaped by the environment unless it is
``markupsafe.Markup``, which report modules build only with ``Markup(...).format(...)`` (that
escapes every value it inserts), so a value from the data can never become markup.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import ClassVar

import pandas as pd
from markupsafe import Markup

from riskmodels.reporting.text import Label, Pair

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def display(value: object, digits: int = 4) -> str:
    """A readable cell text (not escaped: the template escapes it): integers with thousands
    separators, other numbers to ``digits`` places, booleans yes/no, missing values blank."""
    if value is None or (isinstance(value, Real) and not isinstance(value, Integral) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return f"{float(value):.{digits}f}"
    return str(value)


def pct(value: float) -> str:
    """A share as a percentage with two decimals; blank when missing."""
    return "" if math.isnan(value) else f"{value:.2%}"


@dataclass(frozen=True)
class Num:
    """A number already formatted: right-aligned, tabular figures."""

    text: str


@dataclass(frozen=True)
class Badge:
    """A coloured label; kind is green/amber/red or pass/fail."""

    text: str
    kind: str

    @classmethod
    def verdict(cls, ok: bool, yes: str = "pass", no: str = "fail") -> Badge:
        return cls(yes if ok else no, "pass" if ok else "fail")


Cell = str | Num | Badge | Pair


def cell(value: object, digits: int = 4) -> Cell:
    """One table cell from a value: numbers right-aligned, badges and texts as they are."""
    if isinstance(value, (Num, Badge, str, Pair)):
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        return display(value, digits)
    return Num(display(value, digits))


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    columns: tuple[Label, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @classmethod
    def of(cls, columns: Sequence[Label], rows: Iterable[Sequence[object]], digits: int = 4) -> Table:
        """From raw values: numbers formatted to ``digits`` places and right-aligned."""
        return cls(tuple(columns), tuple(tuple(cell(v, digits) for v in row) for row in rows))

    @classmethod
    def frame(cls, df: pd.DataFrame, digits: int = 4, header: Callable[[str], Label] = str) -> Table:
        """A DataFrame's columns and rows (its index left out), ``header`` naming each column."""
        return cls.of([header(str(c)) for c in df.columns], df.itertuples(index=False, name=None), digits)


@dataclass(frozen=True)
class Text:
    """A paragraph: one text, or a ``Bilingual``/pair shown as the English then the Chinese paragraph."""

    kind: ClassVar[str] = "text"
    body: Label
    note: bool = False


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    label: Label
    level: int = 3
    aside: str = ""  # a short note after the title, in smaller type


@dataclass(frozen=True)
class Figure:
    """A PNG embedded in the page as a data URI, so the HTML needs no other file."""

    png: bytes
    alt: str

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError(f"png must be PNG bytes (starting with the PNG signature); got {self.png[:8]!r}")

    @property
    def src(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Figures:
    kind: ClassVar[str] = "figures"
    items: tuple[Figure, ...]


@dataclass(frozen=True)
class BulletList:
    kind: ClassVar[str] = "list"
    items: tuple[Label, ...]


@dataclass(frozen=True)
class Html:
    """A fragment a caller hands over as HTML (``validation_report``'s extra sections): trusted,
    inserted as is, as that function's contract always said."""

    kind: ClassVar[str] = "html"
    markup: Markup


@dataclass(frozen=True)
class Details:
    """A folded part of the page (``<details>``): its summary line, open on click."""

    kind: ClassVar[str] = "details"
    summary: Label
    blocks: tuple[Block, ...]


Block = Text | Heading | Table | Figures | BulletList | Html | Details


@dataclass(frozen=True)
class Section:
    title: Label
    blocks: tuple[Block, ...] = field(default_factory=tuple)
