"""The drift result as files a validator opens: ``drift_report.html`` (self-contained, plots
embedded) and ``drift_summary.json`` (a status per check and overall), and the MLflow run that
records both against the model version."""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from riskmodels.evaluation import _html, plots
from riskmodels.monitoring.drift import DriftResult
from riskmodels.monitoring.drift.plots import csi_bar_plot, psi_by_month_plot
from riskmodels.monitoring.drift.thresholds import DriftThresholds

HTML_NAME, JSON_NAME = "drift_report.html", "drift_summary.json"
_GROUPS = (("stability", "Population and characteristic stability"), ("data", "Missing values and special codes"),
           ("classes", "Risk classes"), ("backtest", "Back-testing (outcomes known)"))


def _checks_table(result: DriftResult, group: str, only_flagged: bool = False) -> str:
    checks = [c for c in result.checks if c.group == group and (c.status != "green" or not only_flagged)]
    if not checks:
        return "<p class='note'>All green.</p>" if only_flagged else "<p class='note'>No checks ran.</p>"
    rows = [[c.name, _html.badge(c.status, c.status), c.value, c.amber, c.red, c.detail] for c in checks]
    return _html.table(["check", "status", "value", "amber", "red", "detail"], rows)


def _head(result: DriftResult) -> str:
    s = result.summary()
    counts = ", ".join(f"{n} {k}" for k, n in s["counts"].items())
    rows = [[name, info["source"], info["rows"], info["rows_with_outcome"]]
            for name, info in (("baseline (development)", s["baseline"]), ("current", s["current"]))]
    skipped = "".join(f"<li><b>{html.escape(k.name)}</b>: {html.escape(k.reason)}</li>" for k in result.skipped)
    return (f"<h1>Drift and back-testing: {html.escape(result.model.name)} v{html.escape(result.model.version)}</h1>"
            f"<p>Overall {_html.badge(result.overall, result.overall).html} <span class='note'>({counts}; "
            f"training run {html.escape(str(result.model.run_id))})</span></p>"
            + _html.table(["sample", "source", "rows", "rows with outcome"], rows)
            + (f"<p class='note'>Not run:</p><ul class='note'>{skipped}</ul>" if skipped else ""))


def _stability(result: DriftResult, t: DriftThresholds) -> str:
    csi = pd.Series({name: r.total for name, r in result.csi.items()})
    pngs = [plots.img_tag(plots.psi_plot(result.score_psi, "Score PSI, baseline bins"), "score PSI by bin"),
            plots.img_tag(plots.score_distribution_plot({"baseline": result.baseline.score,
                                                         "current": result.current.score},
                                                        "Score distributions"), "score distributions")]
    if not result.monthly.empty:
        pngs.append(plots.img_tag(psi_by_month_plot(result.monthly, t.monthly_psi), "PSI by month"))
    pngs.append(plots.img_tag(csi_bar_plot(csi, t.csi), "CSI per characteristic"))
    body = (_checks_table(result, "stability", only_flagged=True) + "<div class='plots'>" + "".join(pngs) + "</div>"
            + "<h3>Score PSI by bin</h3>" + _html.frame(result.score_psi.table)
            + "<h3>CSI per characteristic</h3>"
            + _html.table(["characteristic", "CSI", "band"],
                          [[n, v, _html.badge(t.csi.status(v), t.csi.status(v))]
                           for n, v in csi.sort_values(ascending=False).items()]))
    if not result.monthly.empty:
        body += "<h3>PSI by month</h3>" + _html.frame(result.monthly)
    return _html.section(_GROUPS[0][1], body)


def _classes(result: DriftResult) -> str:
    body = _checks_table(result, "classes") + "<h3>Class distribution</h3>" + _html.frame(result.class_shift.table)
    if result.migration is not None:
        matrix = result.migration.reset_index().rename(columns={"index": "baseline class"})
        body += "<h3>Migration matrix (rows: baseline class, columns: current class)</h3>" + _html.frame(matrix)
    return _html.section(_GROUPS[2][1], body)


def _backtest(result: DriftResult) -> str:
    if result.backtest is None:
        return _html.section(_GROUPS[3][1], "<p class='note'>Not run: see above.</p>")
    e = result.backtest.details["current"]
    rows = [[f"development: {split}", v.get("n"), v.get("auc"), v.get("gini"), v.get("ks")]
            for split, v in result.development.items()]
    rows += [[name, d.n, d.auc.auc, 2 * d.auc.auc - 1, d.ks.statistic] for name, d in result.backtest.details.items()]
    jt, bt = e.jeffreys.table, e.binomial.table
    per_class = [[r["class"], r["n"], r["bads"], r["mean_pd"], r["bad_rate"], r["lower"], r["upper"], r["p_value"],
                  _html.verdict(bool(r["passed"])), bp, _html.verdict(bool(bpass))]
                 for (_, r), bp, bpass in zip(jt.iterrows(), bt["p_value"], bt["passed"], strict=True)]
    calibration = plots.calibration_plot(jt["class"].tolist(), jt["mean_pd"], jt["bad_rate"], jt["lower"],
                                         jt["upper"], "Calibration by class (current)")
    bad_rates = plots.bad_rate_plot(e.bad_rates.table, e.bad_rates.violations, "Bad rate by class (current)")
    body = (_checks_table(result, "backtest")
            + "<h3>Discrimination against the development values</h3>"
            + _html.table(["sample", "n", "AUC", "Gini", "KS"], rows)
            + "<h3>Per class (Jeffreys and exact binomial, one-sided)</h3>"
            + _html.table(["class", "n", "bads", "mean PD", "bad rate", "Jeffreys 95% lower", "upper", "Jeffreys p",
                           "Jeffreys", "binomial p", "binomial"], per_class)
            + f"<div class='plots'>{plots.img_tag(calibration, 'calibration by class')}"
            f"{plots.img_tag(bad_rates, 'bad rate by class')}</div>")
    return _html.section(_GROUPS[3][1], body)


def drift_html(result: DriftResult, thresholds: DriftThresholds) -> str:
    data = _checks_table(result, "data", only_flagged=True) + _html.frame(result.data_changes)
    body = (_head(result) + _stability(result, thresholds) + _html.section(_GROUPS[1][1], data)
            + _classes(result) + _backtest(result)
            + "<p class='note'>PSI and CSI are counted on bins fixed by the baseline (score deciles; the "
            "scorecard's own bins per characteristic). Thresholds: the typed YAML passed with --thresholds "
            "(default riskmodels/monitoring/drift_thresholds.yaml).</p>")
    return _html.page(f"Drift report: {result.model.name} v{result.model.version}", body)


def _write_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename, so a failed run leaves no half-written file."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for readers
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_drift_report(result: DriftResult, thresholds: DriftThresholds, out_dir: Path) -> tuple[Path, Path]:
    """Both files, rendered in full before either is written; returns (html, json)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = drift_html(result, thresholds)
    summary = json.dumps({**result.summary(), "thresholds": thresholds.model_dump()}, indent=1, ensure_ascii=False)
    paths = out_dir / HTML_NAME, out_dir / JSON_NAME
    _write_atomic(paths[1], summary)
    _write_atomic(paths[0], page)
    return paths


def record_drift_run(result: DriftResult, paths: tuple[Path, Path]) -> str:
    """An MLflow run in the monitoring experiment holding the report, the summary and one
    metric per check, tagged with the model version; the version is tagged with the outcome."""
    from riskmodels import registry

    return registry.record_monitoring_run(
        "drift", result.model, result.overall,
        params={"baseline": result.baseline.sample.source, "current": result.current.sample.source,
                "rows.baseline": len(result.baseline.score), "rows.current": len(result.current.score)},
        metrics={f"drift.{c.name}": c.value for c in result.checks}, files=paths)
