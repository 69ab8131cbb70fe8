"""The portfolio monitor as one HTML page a credit officer can read (贷后预警日报).

Self-contained: tables as HTML, plots as PNGs embedded in base64, no script, no external
file. Plots are drawn on matplotlib ``Figure`` objects (no pyplot global state), with English
labels because the default fonts lack CJK glyphs; the tables carry the Chinese names.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels.monitoring.portfolio import MonitorResult
from riskmodels.policy.early_warning import SEVERITIES

SIGNAL_NAMES = {
    "flow_drop": "流水下降预警 / flow down vs baseline",
    "co_debt": "多头共债预警 / new large loan elsewhere",
    "instalment_shortfall": "还款提醒 / deposit short of instalment",
    "no_flow": "无流水预警 / no account flow",
    "class_downgrade": "评分等级下迁 / B-score class down",
}
SEVERITY_COLOURS = {"red": "#c0392b", "orange": "#e67e22", "yellow": "#f1c40f", "blue": "#2e86c1"}
WORST_ACCOUNTS = 20
_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th { background: #eee; }
img { max-width: 100%; }
"""


def _png(figure: object) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")  # type: ignore[attr-defined]
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _image(figure: object, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{_png(figure)}"/>'


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


def _signal_figure(result: MonitorResult) -> object:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.2))
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
    axes.set_title(f"Early-warning signals, {result.as_of}")
    if len(counts):
        axes.legend(title="severity", fontsize="small")
    return figure


def _migration_figure(migration: pd.DataFrame) -> object:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 4))
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
    axes.set_title("Class migration (row shares)")
    return figure


def render_portfolio_report(result: MonitorResult) -> str:
    """The HTML page as text."""
    n, alerted = result.n_accounts, result.n_accounts_alerted
    sections = [
        f"<h1>贷后预警日报 / Post-loan portfolio monitor: {html.escape(str(result.as_of))}</h1>",
        f"<p>Accounts monitored 监控账户: <b>{n:,}</b>; with at least one signal 触发预警: <b>{alerted:,}</b> "
        f"({alerted / max(n, 1):.1%}); alerts 预警条数: <b>{len(result.alerts):,}</b>.</p>",
        "<h2>Alerts by signal and severity 预警分布</h2>",
        alerts_by_signal(result).to_html(index=False),
        _image(_signal_figure(result), "alerts by signal and severity"),
        f"<h2>Accounts to review first 重点关注账户 (top {WORST_ACCOUNTS})</h2>",
        worst_accounts(result).to_html(index=False, float_format=lambda v: f"{v:,.1f}", na_rep=""),
    ]
    if result.migration is not None:
        sections += ["<h2>B-score class migration 评分等级迁移</h2>", result.migration.to_html(),
                     _image(_migration_figure(result.migration), "class migration matrix")]
    body = "\n".join(sections)
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8"/>\n'
            f"<title>Portfolio monitor {html.escape(str(result.as_of))}</title>\n<style>{_STYLE}</style>\n"
            f"</head>\n<body>\n{body}\n</body>\n</html>\n")


def write_portfolio_report(result: MonitorResult, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_portfolio_report(result), encoding="utf-8")
    return path
