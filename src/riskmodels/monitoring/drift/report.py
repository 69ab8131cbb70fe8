"""The drift result as files a validator opens: ``drift_report.html`` (self-contained, plots
embedded, English and Chinese side by side) and ``drift_summary.json`` (a status per check and
overall), and the MLflow run that records both against the model version.

The page is the template ``drift_report.html.j2`` (the reports' base layout) filled with the
``riskmodels.reporting`` blocks built here and in ``report_views``. Every heading, column, plot
label and check detail is in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from riskmodels.monitoring.drift import report_views as views
from riskmodels.monitoring.drift.analysis import DriftResult
from riskmodels.monitoring.drift.plots import csi_bar_plot, distributions_plot, psi_bins_plot, psi_by_month_plot
from riskmodels.monitoring.drift.plots_views import calibration_plot
from riskmodels.monitoring.drift.report_views import frame, heading, note, plots, status_badge
from riskmodels.monitoring.drift.thresholds import DriftThresholds
from riskmodels.reporting import Badge, Bilingual, Block, BulletList, Section, Table, render
from riskmodels.reporting.files import write_atomic

HTML_NAME, JSON_NAME = "drift_report.html", "drift_summary.json"
TEMPLATE = "drift_report.html.j2"
GROUPS = {"stability": Bilingual("总体与特征稳定性", "Population and characteristic stability"),
          "data": Bilingual("缺失值与特殊值", "Missing values and special codes"),
          "classes": Bilingual("风险等级", "Risk classes"),
          "backtest": Bilingual("回溯测试（已有表现结果）", "Back-testing (outcomes known)")}
# Chinese names of the check families (the part of a check's name before the dot).
CHECK_NAMES = {"score_psi": "分数 PSI", "csi": "特征 CSI", "monthly_psi": "按月 PSI", "missing_rate": "缺失率变化",
               "special_codes": "特殊值占比变化", "class_distribution_psi": "等级分布 PSI",
               "herfindahl": "等级集中度", "class_migration": "等级迁移", "class_monotone": "坏账率单调性",
               "auc_drop": "AUC 下降检验", "ks_drop": "KS 相对下降", "hosmer_lemeshow": "Hosmer-Lemeshow 检验",
               "jeffreys": "Jeffreys 检验", "binomial": "二项检验", "backtest": "回溯测试"}
CHECK_COLUMNS = ["check 检查项", "status 状态", "value 数值", "amber 黄灯", "red 红灯", "detail 说明"]


def check_name_zh(name: str) -> str:
    parts = name.split(".")
    family = parts[1] if parts[0] == "backtest" and len(parts) > 1 else parts[0]
    return CHECK_NAMES.get(family, "")


def _checks_table(result: DriftResult, group: str, only_flagged: bool = False) -> Block:
    checks = [c for c in result.checks if c.group == group and (c.status != "green" or not only_flagged)]
    if not checks:
        return note("All green.", "全部为绿灯。") if only_flagged else note("No checks ran.", "未运行检查。")
    rows = [[f"{c.name} {check_name_zh(c.name)}".strip(), status_badge(c.status), c.value, c.amber, c.red,
             c.details] for c in checks]
    return Table.of(CHECK_COLUMNS, rows)


def _intro(result: DriftResult) -> list[Block]:
    s = result.summary()
    rows = [[views.SAMPLES[name], info["source"], info["rows"], info["rows_with_outcome"]]
            for name, info in (("baseline", s["baseline"]), ("current", s["current"]))]
    blocks: list[Block] = [Table.of(["sample 样本", "source 来源", "rows 样本数", "rows with outcome 有表现结果"], rows)]
    if result.skipped:
        blocks += [heading("Checks not run", "未运行的检查"),
                   BulletList(tuple(Bilingual(f"{check_name_zh(k.name) or k.name}：{k.reason_zh}",
                                              f"{k.name}: {k.reason}") for k in result.skipped))]
    return blocks


def _stability(result: DriftResult, t: DriftThresholds) -> Section:
    csi = pd.Series({name: r.total for name, r in result.csi.items()})
    scores = {"baseline": result.baseline.score, "current": result.current.score}
    pngs = [(psi_bins_plot(result.score_psi), "score PSI by bin"),
            (distributions_plot(scores, views.SAMPLES), "score distributions")]
    if not result.monthly.empty:
        pngs.append((psi_by_month_plot(result.monthly, t.monthly_psi), "PSI by month"))
    pngs.append((csi_bar_plot(csi, t.csi), "CSI per characteristic"))
    rows = [[n, v, status_badge(t.csi.status(v))] for n, v in csi.sort_values(ascending=False).items()]
    body = [_checks_table(result, "stability", only_flagged=True), plots(*pngs), *views.psi_intervals(result),
            heading("Score PSI by bin", "分数 PSI 分箱明细"), frame(result.score_psi.table),
            heading("CSI per characteristic", "各特征 CSI"),
            Table.of(["characteristic 特征", "CSI", "band 区间"], rows)]
    if not result.monthly.empty:
        body += [heading("PSI by month", "按月 PSI"), frame(result.monthly)]
    return Section(GROUPS["stability"], tuple(body))


def _classes(result: DriftResult) -> Section:
    body = [_checks_table(result, "classes"), heading("Class distribution", "等级分布"),
            frame(result.class_shift.table)]
    if result.migration is not None:
        matrix = result.migration.reset_index().rename(columns={"index": "baseline class"})
        body += [heading("Migration matrix (rows: baseline class, columns: current class)",
                         "迁移矩阵（行：基准等级，列：当前等级）"), frame(matrix)]
    return Section(GROUPS["classes"], tuple(body))


def _backtest(result: DriftResult) -> Section:
    if result.backtest is None:
        return Section(GROUPS["backtest"], (note("Not run: see above.", "未运行：原因见上文。"),))
    e = result.backtest.details["current"]
    # A count read back from the run's metrics is a float: shown as the whole number it is.
    rows = [[f"development 开发: {split}", None if v.get("n") is None else int(v["n"]), v.get("auc"), v.get("gini"),
             v.get("ks")] for split, v in result.development.items()]
    rows += [[views.SAMPLES[name], d.n, d.auc.auc, 2 * d.auc.auc - 1, d.ks.statistic]
             for name, d in result.backtest.details.items()]
    jt, bt = e.jeffreys.table, e.binomial.table
    per_class = [[r["class"], r["n"], r["bads"], r["mean_pd"], r["bad_rate"], r["lower"], r["upper"], r["p_value"],
                  Badge.verdict(bool(r["passed"])), bp, Badge.verdict(bool(bpass))]
                 for (_, r), bp, bpass in zip(jt.iterrows(), bt["p_value"], bt["passed"], strict=True)]
    return Section(GROUPS["backtest"], (
        _checks_table(result, "backtest"),
        heading("Discrimination against the development values", "区分能力与开发值对比"),
        Table.of(["sample 样本", "n 样本数", "AUC", "Gini", "KS"], rows),
        heading("Per class (Jeffreys and exact binomial, one-sided)", "按等级检验（Jeffreys 与精确二项，单侧）"),
        Table.of(["class 等级", "n 样本数", "bads 坏客户数", "mean PD 平均PD", "bad rate 坏账率",
                  "Jeffreys 95% lower 下限", "upper 上限", "Jeffreys p", "Jeffreys", "binomial p 二项 p",
                  "binomial 二项"], per_class),
        plots((calibration_plot(jt), "calibration by class"))))


def drift_html(result: DriftResult, thresholds: DriftThresholds) -> str:
    data = Section(GROUPS["data"], (_checks_table(result, "data", only_flagged=True), frame(result.data_changes)))
    sections = [_stability(result, thresholds), views.characteristics(result), views.score_months(result), data,
                _classes(result), views.gains(result), _backtest(result)]
    footer = note("PSI and CSI are counted on bins fixed by the baseline (score deciles; the scorecard's own bins "
                  "per characteristic). Thresholds: the typed YAML passed with --thresholds (default "
                  "riskmodels/monitoring/drift/thresholds.yaml).",
                  "PSI 与 CSI 均在基准样本确定的分箱上计算（分数十分位；各特征使用评分卡自身分箱）。阈值来自 --thresholds "
                  "指定的 YAML 文件（默认 riskmodels/monitoring/drift/thresholds.yaml）。")
    counts = ", ".join(f"{n} {views.STATUS[k]}" for k, n in result.summary()["counts"].items())
    name = f"{result.model.name} v{result.model.version}"
    return render(TEMPLATE, title=Bilingual("模型漂移与回溯测试报告", f"Drift and back-testing: {name}"),
                  intro=_intro(result), sections=sections, footer=[footer], overall=status_badge(result.overall),
                  counts=counts, run_id=str(result.model.run_id))


def write_drift_report(result: DriftResult, thresholds: DriftThresholds, out_dir: Path) -> tuple[Path, Path]:
    """Both files, rendered in full before either is written; returns (html, json)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = drift_html(result, thresholds)
    summary = json.dumps({**result.summary(), "thresholds": thresholds.model_dump()}, indent=1, ensure_ascii=False)
    paths = out_dir / HTML_NAME, out_dir / JSON_NAME
    write_atomic(paths[1], summary)
    write_atomic(paths[0], text)
    return paths


def record_drift_run(result: DriftResult, paths: tuple[Path, Path]) -> str:
    """An MLflow run in the monitoring experiment holding the report, the summary and one
    metric per check, tagged with the model version; the version is tagged with the outcome."""
    from riskmodels import registry

    return registry.record_monitoring_run(
        "drift", result.model, result.overall,
        params={"baseline": result.baseline.sample.source, "current": result.current.sample.source,
                "rows.baseline": len(result.baseline.score), "rows.current": len(result.current.score)},
        metrics={**{f"drift.{c.name}": c.value for c in result.checks},
                 "drift.score_psi.lower": result.views.score_psi.lower,
                 "drift.score_psi.upper": result.views.score_psi.upper,
                 "drift.mean_score_shift": result.views.characteristics.total_shift}, files=paths)
