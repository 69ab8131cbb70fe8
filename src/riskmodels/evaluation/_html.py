"""Small HTML building blocks for the validation report: every value is escaped unless it is
one of our own snippets (``Raw``), and the page carries its CSS inline."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import pandas as pd

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1150px;
color:#222;line-height:1.45;padding:0 1em}
h1{border-bottom:3px solid #1565c0;padding-bottom:.3em}h2{border-bottom:1px solid #ddd;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
th{background:#f0f3f7;text-align:left}td,th{border:1px solid #ccc;padding:3px 9px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{font-weight:bold;padding:1px 7px;border-radius:3px;color:#fff}
.green,.pass{background:#2e7d32}.amber{background:#b26a00}.red,.fail{background:#c62828}
.note{color:#555;font-size:.9em}.plots img{margin:6px;border:1px solid #eee;vertical-align:top}
""".strip()


@dataclass(frozen=True)
class Raw:
    """HTML produced by this package, inserted without escaping."""

    html: str


def badge(text: str, kind: str) -> Raw:
    """A coloured label: kind is green/amber/red or pass/fail."""
    return Raw(f'<span class="badge {html.escape(kind)}">{html.escape(text)}</span>')


def verdict(ok: bool, yes: str = "pass", no: str = "fail") -> Raw:
    return badge(yes if ok else no, "pass" if ok else "fail")


def fmt(value: object, digits: int = 4) -> str:
    """A readable, escaped cell value."""
    if isinstance(value, Raw):
        return value.html
    if value is None or (isinstance(value, Real) and not isinstance(value, Integral) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return f"{float(value):.{digits}f}"
    return html.escape(str(value))


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], digits: int = 4) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for v in row:
            numeric = isinstance(v, Real) and not isinstance(v, bool)
            cells.append(f'<td class="num">{fmt(v, digits)}</td>' if numeric else f"<td>{fmt(v, digits)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def frame(df: pd.DataFrame, digits: int = 4) -> str:
    """A DataFrame as an escaped table (column names and values alike)."""
    return table([str(c) for c in df.columns], df.itertuples(index=False, name=None), digits)


def pct(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.2%}"


def section(title: str, body: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2>{body}</section>"


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>")
