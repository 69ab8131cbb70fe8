"""The portfolio monitor as one HTML page a credit officer can read (贷后预警日报).

Self-contained: tables as HTML, plots as PNGs embedded in base64, no script, no external
file; Chinese and English side by side, from the template ``portfolio_report.html.j2``. Plots
are drawn in the reports' style (``riskmodels.reporting.style``), titles in both languages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels.monitoring.portfolio import MonitorResult
from riskmodels.policy.early_warning import SEVERITIES
from riskmodels.reporting import Bilingual, Cell, Figure, Figures, Num, Section, Table, Text, render, style
from riskmodels.reporting.style import styled

SIGNAL_NAMES = {
    "flow_drop": "流水下降预警 / flow down vs baseline",
    "co_debt": "多头共债预警 / new large loan elsewhere",
    "instalment_shortfall": "还款提醒 / deposit short of instalment",
    "no_flow": "无流水预警 / no account flow",
    "class_downgrade": "评分等级下迁 / B-score class down",
}
SEVERITY_COLOURS = {"red": "#c0392b", "orange": "#e67e22", "yellow": "#f1c40f", "blue": "#2e86c1"}
WORST_ACCOUNTS = 20
def alerts_by_signal(result: MonitorResult) -> pd.DataFrame:
    """Signals (rows) x severities (columns) alert counts, with totals."""
    table = result.summary.pivot_table(index="signal", columns="severity", values="alerts", aggfunc="sum",
                                       fill_value=0)
    table = table.reindex(columns=[s for s in SEVERITIES if s in table.columns])
    table["total"] = table.sum(axis=1)
    table.index = [SIGNAL_NAMES.get(s, s) for s in table.index]
    return table.rename_axis(index=None, columns=None).rename_axis("signal 预警信号").reset_index()


def worst_accounts(result: MonitorResult, n: int = WORST_ACCOUNTS) -> pd.DataFrame:
    """Accounts to look at first: most severe signal, then most signals, then lowest B score."""
    accounts = result.accounts[result.accounts["n_signals"] > 0]
    rank = accounts["worst_severity"].map({s: i for i, s in enumerate(SEVERITIES)}).to_numpy(dtype=float)
    score = accounts["b_score"].to_numpy(dtype=float) if "b_score" in accounts else np.zeros(len(accounts))
    top = accounts.iloc[np.lexsort((score, -accounts["n_signals"].to_numpy(), rank))[:n]]
    alerts = result.alerts[result.alerts["account_id"].isin(top["account_id"])]
    signals = alerts.groupby("account_id")["signal"].agg(", ".join)
    columns = [c for c in ("account_id", "industry", "balance", "worst_severity", "n_signals", "b_score",
                           "b_score_change", "risk_class", "action") if c in top.columns]
    out = top[columns].assign(signals=top["account_id"].map(signals).to_numpy())
    return out.reset_index(drop=True)


@styled
def _signal_figure(result: MonitorResult) -> bytes:
    figure = style.new_figure((7, 3.2))
    axes = figure.add_subplot()
    counts = result.summary.pivot_table(index="signal", columns="severity", values="alerts", aggfunc="sum",
                                        fill_value=0)
    bottom = np.zeros(len(counts))
    for severity in SEVERITIES:
        if severity in counts.columns:
            values = counts[severity].to_numpy(dtype=float)
            axes.barh(list(counts.index), values, left=bottom, color=SEVERITY_COLOURS[severity], label=severity)
            bottom += values
    axes.set_xlabel("alerts")
    axes.set_title(style.title(f"预警信号 {result.as_of}", f"Early-warning signals, {result.as_of}"))
    if len(counts):
        axes.legend(title="severity", fontsize="small")
    return style.png_bytes(figure)


@styled
def _migration_figure(migration: pd.DataFrame) -> bytes:
    figure = style.new_figure((4.5, 4))
    axes = figure.add_subplot()
    values = migration.to_numpy(dtype=float)
    shares = values / np.maximum(values.sum(axis=1, keepdims=True), 1)  # row shares: where each class went
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(values.shape[1]), [str(c) for c in migration.columns])
    axes.set_yticks(range(values.shape[0]), [str(r) for r in migration.index])
    axes.set_xlabel("class now")
    axes.set_ylabel("class last month")
    for (i, j), count in np.ndenumerate(values):
        axes.text(j, i, f"{shares[i, j]:.0%}\n({count:.0f})", ha="center", va="center", fontsize=7,
                  color="white" if shares[i, j] > 0.6 else "black")
    axes.set_title(style.title("等级迁移（行占比）", "Class migration (row shares)"))
    return style.png_bytes(figure)


def _cell(value: object) -> Cell:
    """As pandas' ``to_html`` showed them: floats to one decimal with separators, blanks for missing."""
    if isinstance(value, (float, np.floating)):
        return Num("" if np.isnan(value) else f"{value:,.1f}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return Num(str(value))
    return "" if value is None or value is pd.NA else str(value)


def _table(frame: pd.DataFrame, index: str | None = None) -> Table:
    """The frame's columns (and, given ``index``, its index first, under that header)."""
    data = frame.rename_axis(index).reset_index() if index is not None else frame
    return Table(tuple(str(c) for c in data.columns),
                 tuple(tuple(_cell(v) for v in row) for row in data.itertuples(index=False, name=None)))


def render_portfolio_report(result: MonitorResult) -> str:
    """The HTML page as text."""
    n, alerted = result.n_accounts, result.n_accounts_alerted
    summary = Bilingual(
        f"监控账户 {n:,} 户；触发预警 {alerted:,} 户（{alerted / max(n, 1):.1%}）；预警 {len(result.alerts):,} 条。",
        f"Accounts monitored: {n:,}; with at least one signal: {alerted:,} ({alerted / max(n, 1):.1%}); "
        f"alerts: {len(result.alerts):,}.")
    sections = [
        Section(Bilingual("预警分布", "Alerts by signal and severity"), (
            _table(alerts_by_signal(result)),
            Figures((Figure(_signal_figure(result), "alerts by signal and severity"),)))),
        Section(Bilingual(f"重点关注账户（前 {WORST_ACCOUNTS} 户）", f"Accounts to review first (top {WORST_ACCOUNTS})"),
                (_table(worst_accounts(result)),)),
    ]
    if result.migration is not None:
        migration = result.migration
        sections.append(Section(Bilingual("评分等级迁移", "B-score class migration"), (
            _table(migration.rename_axis(columns=None), index=str(migration.index.name or "")),
            Figures((Figure(_migration_figure(migration), "class migration matrix"),)))))
    return render("portfolio_report.html.j2",
                  title=Bilingual(f"贷后预警日报：{result.as_of}", f"Post-loan portfolio monitor: {result.as_of}"),
                  intro=(Text(summary),), sections=sections)


def write_portfolio_report(result: MonitorResult, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_portfolio_report(result), encoding="utf-8")
    return path
