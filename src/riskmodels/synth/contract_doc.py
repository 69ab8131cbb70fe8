"""The data contract as Markdown, for ``data/README.md`` (generated, never typed by hand).

    python -c "from riskmodels.synth.contract_doc import contract_markdown; print(contract_markdown())"
"""

from __future__ import annotations

import re

from riskmodels.contract import LABELS, OPTIONAL_SOURCES, TABLES, Column, Table

_MONTHLY = re.compile(r"(.+)_m(\d\d)$")


def _series_prefix(name: str) -> str | None:
    """``inflow`` for ``inflow_m07``; None for a column that is not part of a monthly series."""
    match = _MONTHLY.match(name)
    return match[1] if match else None


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _allowed(column: Column) -> str:
    if column.rule is not None:  # a string's format, in words
        return column.rule.removeprefix("must be ")
    if column.categories:
        return ", ".join(f"`{c}`" for c in column.categories)
    if column.minimum is None and column.maximum is None:
        return ""
    low = _number(column.minimum) if column.minimum is not None else "…"
    high = _number(column.maximum) if column.maximum is not None else "…"
    return f"{low} – {high}"


def _row(name: str, column: Column, description: str) -> str:
    special = "; ".join(f"`{code}` = {meaning}" for code, meaning in column.special_codes.items())
    cells = [name, column.dtype, "yes" if column.nullable else "no", _allowed(column), special,
             column.unit or "", column.source, description]
    return "| " + " | ".join(cells) + " |"


def table_markdown(table: Table) -> str:
    lines = [f"### `{table.name}`", "", f"{table.description}. Key: {', '.join(f'`{k}`' for k in table.key)}.", "",
             "| column | type | nullable | allowed values | special codes | unit | source | description |",
             "|---|---|---|---|---|---|---|---|"]
    columns = list(table.columns)
    i = 0
    while i < len(columns):
        column, prefix = columns[i], _series_prefix(columns[i].name)
        j = i
        while prefix and j + 1 < len(columns) and _series_prefix(columns[j + 1].name) == prefix:
            j += 1
        if j > i:  # a monthly series in one row: inflow_m01 … inflow_m12
            what = column.description.split(",")[0]
            lines.append(_row(f"`{column.name}` … `{columns[j].name}`", column,
                              f"{what}; m01 = the most recent full month before the application"))
        else:
            lines.append(_row(f"`{column.name}`", column, column.description))
        i = j + 1
    return "\n".join(lines)


def optional_sources_markdown() -> str:
    applications = TABLES["applications"]
    lines = ["| source | columns that are null together when the source is missing |", "|---|---|"]
    for source in OPTIONAL_SOURCES:
        names = [c.name for c in applications.by_source(source)]
        series = dict.fromkeys(p for n in names if (p := _series_prefix(n)))  # ordered, unique
        shown = [f"`{p}_m01` … `{p}_m12`" for p in series] + [f"`{n}`" for n in names if not _series_prefix(n)]
        lines.append(f"| `{source}` | {', '.join(shown)} |")
    return "\n".join(lines)


def labels_markdown() -> str:
    lines = ["| label | table | definition | population |", "|---|---|---|---|"]
    for label in LABELS.values():
        lines.append(f"| `{label.name}` | `{label.table}` | {label.definition} | {label.population} |")
    return "\n".join(lines)


def contract_markdown() -> str:
    """Every table of the contract, the optional sources and the labels."""
    parts = [table_markdown(t) for t in TABLES.values()]
    return "\n\n".join([*parts, "### Optional sources", optional_sources_markdown(), "### Labels", labels_markdown()])
