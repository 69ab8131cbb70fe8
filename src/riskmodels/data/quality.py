"""Data quality: great-expectations suites built from the data contract, and their reports.

Every expectation comes from a ``Column`` or ``Table`` of ``contract.py``, never from a hand
list, and carries a severity in its ``meta``: a critical failure stops training, a warning is
reported. GX runs in an ephemeral context: it writes nothing to disk and sends nothing out.
"""

from __future__ import annotations

import gc
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.config import apply_offline_environment
from riskmodels.contract import Column, Severity, Table
from riskmodels.contract import table as contract_table
from riskmodels.reporting import Badge, Bilingual, Cell, Details, Num, Section, Text, render
from riskmodels.reporting import Table as ReportTable

log = logging.getLogger(__name__)

# Column types are checked with pandas' dtype API, not GX's type-list expectation: in GX 1.24
# that expectation compares against numpy dtypes and rejects pandas 3's ``str`` and nullable
# ``Int64``/``boolean`` columns that are exactly what the contract asks for.
_TYPE_CHECKS = {
    "int": pd.api.types.is_integer_dtype,
    "float": lambda d: pd.api.types.is_float_dtype(d) or pd.api.types.is_integer_dtype(d),
    "bool": pd.api.types.is_bool_dtype,
    "category": lambda d: pd.api.types.is_string_dtype(d) or isinstance(d, pd.CategoricalDtype),
    "string": pd.api.types.is_string_dtype,
    "date": pd.api.types.is_datetime64_any_dtype,
}


def _type_results(frame: pd.DataFrame, t: Table) -> list[CheckResult]:
    out = []
    for c in t.columns:
        if c.name in frame.columns:
            dtype = frame[c.name].dtype
            out.append(CheckResult("column_type", c.name, f"{c.name} is of type {c.dtype}", "critical",
                                   bool(_TYPE_CHECKS[c.dtype](dtype)), None, None,
                                   () if _TYPE_CHECKS[c.dtype](dtype) else (f"found {dtype}",)))
    return out


@dataclass(frozen=True)
class CheckResult:
    check: str
    column: str | None
    rule: str
    severity: Severity
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class QualityReport:
    table: str
    n_rows: int
    results: tuple[CheckResult, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def failures(self) -> list[CheckResult]:
        order = {"critical": 0, "warning": 1}
        return sorted((r for r in self.results if not r.success), key=lambda r: order[r.severity])

    @property
    def passed(self) -> bool:
        return not any(r.severity == "critical" for r in self.failures)

    def summary(self) -> str:
        critical = [r for r in self.failures if r.severity == "critical"]
        if not critical:
            return f"{self.table}: passed ({len(self.failures)} warnings)"
        named = ", ".join(f"{r.rule} ({r.unexpected_count if r.unexpected_count is not None else '?'} rows)"
                          for r in critical[:8])
        return f"{self.table} failed {len(critical)} critical checks: {named}"

    def to_html(self) -> str:
        return _render_html(self)


class DataQualityError(Exception):
    """Critical checks failed; ``report`` says which, with counts and examples."""

    def __init__(self, report: QualityReport) -> None:
        super().__init__(report.summary())
        self.report = report


def _expectations(t: Table, present: set[str]) -> list[Any]:
    import great_expectations as gx

    # great_expectations re-exports its expectation classes implicitly (no __all__), which strict
    # mypy does not accept: hence the attr-defined ignores below.
    E = gx.expectations
    out: list[Any] = [E.ExpectTableColumnsToMatchSet(  # type: ignore[attr-defined]
        column_set=t.names, exact_match=True,
        meta={"severity": "critical", "rule": f"columns are exactly the contract's {len(t.names)}"})]
    if len(t.key) == 1 and t.key[0] in present:
        out.append(E.ExpectColumnValuesToBeUnique(column=t.key[0], meta={  # type: ignore[attr-defined]
            "severity": "critical", "rule": f"{t.key[0]} unique"}))
    elif t.key and set(t.key) <= present:
        out.append(E.ExpectCompoundColumnsToBeUnique(column_list=list(t.key), meta={  # type: ignore[attr-defined]
            "severity": "critical", "rule": f"({', '.join(t.key)}) unique"}))
    for c in t.columns:
        if c.name in present:
            out.extend(_column_expectations(E, c))
    for earlier, later in t.date_order:
        if {earlier, later} <= present:
            out.append(E.ExpectColumnPairValuesAToBeGreaterThanB(  # type: ignore[attr-defined]
                column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing",
                meta={"severity": "critical", "rule": f"{earlier} on or before {later}"}))
    return out


def _column_expectations(E: Any, c: Column) -> list[Any]:
    from great_expectations.expectations.row_conditions import Column as RowColumn

    def meta(severity: Severity, rule: str) -> dict[str, str]:
        return {"severity": severity, "rule": f"{c.name} {rule}"}

    out = []
    if not c.nullable:
        out.append(E.ExpectColumnValuesToNotBeNull(column=c.name, meta=meta("critical", "is never null")))
    elif c.max_null_share is not None:
        out.append(E.ExpectColumnValuesToNotBeNull(
            column=c.name, mostly=1 - c.max_null_share,
            meta=meta("warning", f"null in at most {c.max_null_share:.0%} of rows")))
    if c.is_numeric() and (c.minimum is not None or c.maximum is not None):
        codes = sorted(c.special_codes)
        rule = f"between {c.minimum:g} and {c.maximum:g}" + (f" or a special code {codes}" if codes else "")
        condition = {"row_condition": RowColumn(c.name).is_not_in(codes)} if codes else {}
        out.append(E.ExpectColumnValuesToBeBetween(column=c.name, min_value=c.minimum, max_value=c.maximum,
                                                   meta=meta("critical", rule), **condition))
    if c.categories:
        out.append(E.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.categories),
                                                 meta=meta("critical", f"in {list(c.categories)}")))
    if c.pattern is not None and c.rule is not None:
        # GX searches (pandas' str.contains): anchored whole, with \Z since $ also matches before a
        # final newline. Critical: the link store keys on these identifiers. Nulls are not judged.
        out.append(E.ExpectColumnValuesToMatchRegex(column=c.name, regex=rf"\A(?:{c.pattern})\Z",
                                                    meta=meta("critical", c.rule)))
    return out


def check_table(frame: pd.DataFrame, table: str | Table) -> QualityReport:
    """Validate a frame against its contract table with great-expectations."""
    t = contract_table(table) if isinstance(table, str) else table
    results, raw = _validate(frame, t)
    # great_expectations' execution engine and the batch it caches refer to each other, so the
    # validated frame outlives the validation until a full collection, which may not come before
    # training ends: a million-application book's 7M snapshots (2 GB) were held through the B
    # card's fit. The cycle is unreachable once _validate returns; collect it now.
    gc.collect()
    pii = {c.name for c in t.columns if c.pii}
    report = QualityReport(t.name, len(frame), (*_type_results(frame, t), *(_result(r, pii) for r in results)), raw)
    log.info("%s", report.summary())
    return report


def _validate(frame: pd.DataFrame, t: Table) -> tuple[list[Any], dict[str, Any]]:
    """great_expectations' results for the contract's expectations, and its JSON of the run."""
    apply_offline_environment()
    import great_expectations as gx
    from great_expectations.data_context.data_context.context_factory import set_context
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas(f"contract_{t.name}").add_dataframe_asset(t.name)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
        suite = gx.ExpectationSuite(name=f"contract_{t.name}")
        for expectation in _expectations(t, set(frame.columns)):
            suite.add_expectation(expectation)
        validation = batch.validate(suite, result_format="SUMMARY")
    finally:
        # get_context makes the context great-expectations' current project, which would hold
        # the batch, and so the whole frame, for the rest of the process.
        set_context(None)
    return list(validation.results), validation.to_json_dict()  # type: ignore[no-untyped-call]  # unannotated in GE


def _result(r: Any, pii: set[str]) -> CheckResult:
    cfg = r.expectation_config
    column = cfg.kwargs.get("column")
    res = r.result or {}
    examples = [str(v) for v in (res.get("partial_unexpected_list") or [])[:5]]
    if column in pii:
        from riskmodels.contract.privacy import mask_any

        # Whole values of a personal column, well formed or not: a malformed one has no safe part.
        examples = [mask_any(column, v) for v in examples]
    if cfg.type == "expect_table_columns_to_match_set" and not r.success:
        details = res.get("details", {}).get("mismatched", {})
        examples = [f"missing: {details.get('missing', [])}", f"unexpected: {details.get('unexpected', [])}"]
    if r.exception_info and r.exception_info.get("raised_exception"):
        examples = [str(r.exception_info.get("exception_message", ""))[:200]]
    return CheckResult(cfg.type, column, cfg.meta.get("rule", cfg.type), cfg.meta.get("severity", "critical"),
                       bool(r.success), res.get("unexpected_count"), res.get("unexpected_percent"), tuple(examples))


def require_quality(frame: pd.DataFrame, table: str | Table) -> QualityReport:
    report = check_table(frame, table)
    if not report.passed:
        raise DataQualityError(report)
    return report


def write_report(report: QualityReport, out_dir: Path) -> list[Path]:
    """``quality_TABLE.json`` (the GX result) and ``quality_TABLE.html`` (for people)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / f"quality_{report.table}.json", out_dir / f"quality_{report.table}.html"
    json_path.write_text(json.dumps(report.raw, default=str, indent=1), encoding="utf-8")
    html_path.write_text(report.to_html(), encoding="utf-8")
    return [json_path, html_path]


_COLUMNS = (Bilingual("严重程度", "severity"), Bilingual("规则", "rule"), Bilingual("检查", "check"),
            Bilingual("行数", "rows"), Bilingual("占比", "share"), Bilingual("示例", "examples"))
_SEVERITY = {"critical": Bilingual("严重", "critical"), "warning": Bilingual("警告", "warning")}


def _quality_table(results: list[CheckResult]) -> ReportTable:
    def row(r: CheckResult) -> tuple[Cell, ...]:
        share = "" if r.unexpected_percent is None else f"{r.unexpected_percent:.2f}%"
        # A failure's severity is a coloured badge: critical stops training, a warning does not.
        severity: Cell = Badge(r.severity, "fail" if r.severity == "critical" else "amber") if not r.success \
            else r.severity
        return (severity, r.rule, r.check, Num("" if r.unexpected_count is None else str(r.unexpected_count)),
                Num(share), "; ".join(r.examples))

    rows = tuple(map(row, results)) or ((Bilingual("无", "none"),),)
    return ReportTable(_COLUMNS, rows)


def _render_html(report: QualityReport) -> str:
    failures, passed = report.failures, [r for r in report.results if r.success]
    critical = sum(r.severity == "critical" for r in failures)
    status = Bilingual("通过", "PASSED") if report.passed else Bilingual("未通过", "FAILED")
    summary = Bilingual(
        f"{status.zh}：{report.n_rows:,} 行；{len(report.results)} 项检查中 {critical} 项严重、"
        f"{len(failures) - critical} 项警告未通过。",
        f"{status.en}: {report.n_rows:,} rows; {critical} critical and {len(failures) - critical} warning "
        f"failures of {len(report.results)} checks.")
    sections = (Section(Bilingual("未通过的检查", "Failed checks"), (
        _quality_table(failures),
        Details(Bilingual(f"{len(passed)} 项通过", f"{len(passed)} passed checks"), (_quality_table(passed),)))),)
    return render("data_quality.html.j2", title=Bilingual(f"数据质量：{report.table}", f"Data quality: {report.table}"),
                  intro=(Text(summary),), sections=sections)
