"""Which rows of a batch break the data contract, and why, in one vectorised pass.

The great-expectations suites in ``quality.py`` judge a whole table (share of nulls, unique
keys); batch scoring needs the opposite: a verdict per row, cheap enough for ten million rows.
The rules are the ones the scoring API enforces, all taken from ``contract.py``:

* a column the contract marks as not nullable is null (or an empty string);
* a number is outside [minimum, maximum] and is not one of the column's special codes, is not
  finite, or is fractional in an integer column;
* a flag sent as a number is not 0 or 1;
* a category is not one of the contract's categories;
* a string column with a format (the owner's ID number and phone, the device fingerprint, the
  business address: the contract's ``pattern``) does not match it, refused with its ``rule``.
  The link store keys on these, so a malformed one would link nothing, or the wrong rows.

A file whose columns are missing or of the wrong type is refused whole (``check_schema``):
that is a broken export, not a bad row. Unlike the API, columns outside the contract are
ignored (exports carry extras), and an empty string counts as null. The value quoted back
of a personal column is masked (``contract.privacy.mask_any``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from riskmodels.contract import Column, Table
from riskmodels.contract.privacy import mask_any
from riskmodels.contract.row_rules import ROW_RULES
from riskmodels.contract.types import ISO_DATE

BoolArray = npt.NDArray[np.bool_]
SEPARATOR = " | "  # between the reasons of one row; a reason itself contains "; "
_NOT_INPUT = ("label", "truth")  # columns a scoring input never carries

_ARROW_TYPES: dict[str, Callable[[pa.DataType], bool]] = {
    "int": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
    "float": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
    "bool": lambda t: pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t),
    "category": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t),
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t),
    "date": lambda t: pa.types.is_date(t) or pa.types.is_timestamp(t),
}


def input_columns(table: Table) -> list[Column]:
    """The columns of ``table`` a scoring input may carry (labels and truth left out)."""
    return [c for c in table.columns if c.source not in _NOT_INPUT]


class InputSchemaError(ValueError):
    """A file that is not a table of the contract: a required column missing, or of the wrong type."""


def check_schema(schema: pa.Schema, table: Table, where: str) -> None:
    """Refuse a file lacking a required column or holding one of the wrong type (``InputSchemaError``)."""
    names = set(schema.names)
    missing = [c.name for c in input_columns(table) if c.required and c.name not in names]
    if missing:
        raise InputSchemaError(f"{where} must have every required column of the {table.name} contract; "
                         f"missing {missing}")
    wrong = [f"{c.name} ({schema.field(c.name).type}, expected {c.dtype})" for c in input_columns(table)
             if c.name in names and not pa.types.is_null(schema.field(c.name).type)  # an all-null part
             and not _ARROW_TYPES[c.dtype](schema.field(c.name).type)]
    if wrong:
        raise InputSchemaError(f"{where} has columns of the wrong type: {', '.join(wrong)}")


@dataclass(frozen=True)
class RowProblems:
    """``rejected[i]`` is True when row ``i`` breaks a rule; ``fields`` and ``reasons`` hold,
    for each rejected row in order, the columns at fault and the rules they broke."""

    rejected: BoolArray
    fields: list[str]
    reasons: list[str]

    @property
    def count(self) -> int:
        return len(self.fields)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def range_rule(col: Column) -> str:
    """The range of a numeric column in words, e.g. ``must be between 18 and 90``."""
    lo = None if col.minimum is None else _fmt(col.minimum)
    hi = None if col.maximum is None else _fmt(col.maximum)
    rule = (f"must be between {lo} and {hi}" if lo is not None and hi is not None
            else f"must be at least {lo}" if lo is not None else f"must be at most {hi}")
    if col.special_codes:
        rule += " or " + ", ".join(f"{code} ({meaning})" for code, meaning in col.special_codes.items())
    return rule


def _got(col: Column, value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _fmt(float(value))
    if col.pii and isinstance(value, str):
        return repr(mask_any(col.name, value))  # a rejects file is kept like a log: no raw identifier
    return repr(value)


def arrow_pattern(pattern: str) -> str:
    r"""A contract pattern (Python syntax, matched whole) for Arrow's RE2, which matches anywhere
    unless anchored (``\A`` ... ``\z``) and spells a code point ``\x{XXXX}``, not ``\uXXXX``."""
    return r"\A(?:" + re.sub(r"\\u([0-9A-Fa-f]{4})", r"\\x{\1}", pattern) + r")\z"


def _null_mask(col: Column, values: pa.Array) -> pa.Array:
    null = pc.is_null(values, nan_is_null=True)
    if col.dtype in ("string", "category") and not pa.types.is_null(values.type):
        null = pc.or_kleene(null, pc.equal(pc.utf8_length(values), 0))  # null or_kleene True: True
    return null


def _rule_violations(col: Column, values: pa.Array, null: pa.Array) -> list[tuple[pa.Array, str]]:
    """(rows breaking the rule, the rule in words) for each value rule of the column."""
    present = pc.invert(null)
    if col.dtype == "category" and col.categories:
        known = pc.is_in(values, value_set=pa.array(col.categories, values.type))
        return [(pc.and_kleene(present, pc.invert(known)), f"must be one of {list(col.categories)}")]
    if col.pattern is not None and col.rule is not None:
        well_formed = pc.match_substring_regex(values, pattern=arrow_pattern(col.pattern))
        return [(pc.and_kleene(present, pc.invert(well_formed)), col.rule)]
    if not (col.is_numeric() or (col.dtype == "bool" and not pa.types.is_boolean(values.type))):
        return []
    # Kleene logic throughout: a null compares as null, and ``present`` (False for nulls and
    # NaN) turns every such row into False, so the masks come out without nulls.
    number = pc.cast(values, pa.int64() if pa.types.is_integer(values.type) else pa.float64())
    if col.dtype == "bool":
        return [(pc.and_kleene(present, pc.invert(pc.is_in(number, value_set=pa.array([0, 1], number.type)))),
                 "must be true or false (1 or 0)")]
    inside = pc.is_finite(number) if pa.types.is_floating(number.type) else present
    if col.minimum is not None:
        inside = pc.and_kleene(inside, pc.greater_equal(number, pa.scalar(col.minimum, pa.float64())))
    if col.maximum is not None:
        inside = pc.and_kleene(inside, pc.less_equal(number, pa.scalar(col.maximum, pa.float64())))
    if col.special_codes:
        codes = pa.array(list(col.special_codes), pa.int64()).cast(number.type)  # int64 or float64: exact
        inside = pc.or_kleene(inside, pc.is_in(number, value_set=codes))
    out = [(pc.and_kleene(present, pc.invert(inside)), range_rule(col))]
    if col.dtype == "int" and pa.types.is_floating(number.type):
        fractional = pc.not_equal(number, pc.floor(number))
        out.append((pc.and_kleene(present, pc.and_kleene(inside, fractional)), "must be a whole number"))
    return out


def _row_rule_problems(batch: pa.RecordBatch | pa.Table, table: Table, names: set[str],
                       by_row: dict[int, list[tuple[str, str]]]) -> None:
    """Rows whose columns break a rule together (``contract.row_rules``), each column within its
    own range: the same rules, in the same words, as the API's 422. A rule over a column the
    file leaves out is not judged (every row is missing it)."""
    for rule in ROW_RULES.get(table.name, ()):
        if not set(rule.columns) <= names:
            continue
        columns = {}
        for name in rule.columns:
            values = batch.column(name)
            values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
            if pa.types.is_dictionary(values.type):
                values = values.dictionary_decode()
            # A value of the wrong type is the column's own rule's to report: NaN here breaks nothing.
            numeric = pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
            if name in rule.categories and pa.types.is_string(values.type):  # a category: its position
                position = pc.index_in(values, value_set=pa.array(rule.categories[name], values.type))
                columns[name] = pc.cast(position, pa.float64()).to_numpy(zero_copy_only=False)
            else:
                columns[name] = (pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False) if numeric
                                 else np.full(len(values), np.nan))
        for position in np.flatnonzero(rule.broken(columns)):
            got = batch.column(rule.field)[int(position)].as_py()
            by_row.setdefault(int(position), []).append(
                (rule.field, f"{rule.field}: {rule.rule}; got {got:g}" if isinstance(got, float | int)
                 else f"{rule.field}: {rule.rule}; got {got!r}"))


_JSON_KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "int": ((int, float), "a number"), "float": ((int, float), "a number"), "bool": ((bool,), "true or false"),
    "category": ((str,), "text"), "string": ((str,), "text"), "date": ((str,), "a date written YYYY-MM-DD"),
}


def record_problems(record: Mapping[str, Any], table: Table) -> list[str]:
    """What one JSON object (a command's input) breaks of ``table``'s contract, each in words,
    as the API refuses it: a field the contract does not know, a value of the wrong JSON type, a
    required field left out, and every rule a batch row is judged by (``find_problems``)."""
    columns = {c.name: c for c in input_columns(table)}
    problems = [f"{name}: is not a field of the {table.name} contract" for name in record if name not in columns]
    values: dict[str, Any] = {}
    for name, value in record.items():
        col = columns.get(name)
        if col is None or value is None:
            values[name] = value
            continue
        kinds, what = _JSON_KINDS[col.dtype]
        if isinstance(value, bool) != (col.dtype == "bool") or not isinstance(value, kinds):
            problems.append(f"{name}: must be {what}; got {type(value).__name__}")
        elif isinstance(value, float) and not math.isfinite(value):  # JSON has none; Python's parser reads them
            problems.append(f"{name}: must be a finite number; got {value}")
        elif col.dtype == "date":
            text = str(value)
            try:
                values[name] = date.fromisoformat(text) if ISO_DATE.fullmatch(text) else None
            except ValueError:
                values[name] = None
            if values[name] is None:
                problems.append(f"{name}: must be a date written YYYY-MM-DD; got {text[:20]!r}")
        else:
            values[name] = value
    problems += [f"{c.name}: is required" for c in columns.values() if c.required and c.name not in record]
    if problems:
        return problems
    row = pa.Table.from_pylist([{name: values[name] for name in record if name in columns}])
    found = find_problems(row, table)
    return found.reasons[0].split(SEPARATOR) if found.count else []


def find_problems(batch: pa.RecordBatch | pa.Table, table: Table) -> RowProblems:
    """Check every contract column present in ``batch``; rows are judged by position.

    Runs on the Arrow columns as read (no pandas conversion): a clean batch costs a few
    vectorised passes per column and formats nothing.
    """
    by_row: dict[int, list[tuple[str, str]]] = {}
    names = set(batch.schema.names)
    for col in input_columns(table):
        if col.name not in names:
            continue  # an optional column left out: every row is missing it, which is allowed
        values = batch.column(col.name)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        null = _null_mask(col, values)
        # A column that is null throughout a part (Arrow's null type) has no values to judge.
        checks = [] if pa.types.is_null(values.type) else _rule_violations(col, values, null)
        if not col.nullable:
            checks.insert(0, (null, "is required"))
        for bad, rule in checks:
            if not pc.any(bad).as_py():
                continue
            # Bad rows are rare: format reasons for them only, not for every row.
            for position in np.flatnonzero(bad.to_numpy(zero_copy_only=False)):
                by_row.setdefault(int(position), []).append(
                    (col.name, f"{col.name}: {rule}; got {_got(col, values[position].as_py())}"))
    _row_rule_problems(batch, table, names, by_row)
    rejected = np.zeros(batch.num_rows, dtype=bool)
    positions = sorted(by_row)
    rejected[positions] = True
    return RowProblems(rejected, [",".join(dict.fromkeys(f for f, _ in by_row[p])) for p in positions],
                       [SEPARATOR.join(r for _, r in by_row[p]) for p in positions])
