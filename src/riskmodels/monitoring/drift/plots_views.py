"""Plots of the validator's views (``views``): points shift per characteristic, score by month,
gains curves and calibration by class; bilingual like ``plots``."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskmodels.monitoring.drift.characteristics import CharacteristicAnalysis
from riskmodels.monitoring.drift.gains import Gains
from riskmodels.monitoring.drift.plots import COLOURS, bi, drawn, month_ticks, title


def points_shift_plot(analysis: CharacteristicAnalysis) -> bytes:
    """Each characteristic's shift in mean points, current minus development."""
    summary = analysis.summary.iloc[::-1]  # largest shift on top

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        shift = summary["points_shift"].to_numpy()
        ax.barh(np.arange(len(summary)), shift, color=np.where(shift < 0, COLOURS["red"], COLOURS["green"]))
        ax.set_yticks(np.arange(len(summary)), summary["characteristic"].tolist(), fontsize="x-small")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set(xlabel=bi("shift in mean points (current - development)", "平均得分变化（当前 - 开发）"),
               title=title(f"各特征得分变化；平均分 {analysis.total_shift:+.2f}",
                           f"Points shift per characteristic; mean score {analysis.total_shift:+.2f}"))

    return drawn(draw, height=max(2.5, 0.22 * len(summary) + 1.2))


def score_by_month_plot(table: pd.DataFrame, names: Mapping[str, str]) -> bytes:
    """Median score per month with its 25-75% and 10-90% ranges, and the mean, per sample."""
    if table.empty:
        raise ValueError("table has no rows; the score by month needs a dated sample")
    months = sorted(set(table["month"]))

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for sample, part in table.groupby("sample", sort=False):
            x = np.array([months.index(m) for m in part["month"]])
            colour = COLOURS.get(str(sample), COLOURS["current"])
            ax.fill_between(x, part["p10"], part["p90"], color=colour, alpha=0.15, linewidth=0)
            ax.fill_between(x, part["p25"], part["p75"], color=colour, alpha=0.3, linewidth=0)
            ax.plot(x, part["p50"], color=colour, marker=".", label=f"{names[str(sample)]}: {bi('median', '中位数')}")
            ax.plot(x, part["mean"], color=colour, linestyle="--", linewidth=1, label=f"{names[str(sample)]}: "
                    f"{bi('mean', '均值')}")
        month_ticks(ax, months)
        ax.set(ylabel=bi("score", "分数"),
               title=title("按申请月份的分数分布", "Score by application month: median, 25-75%, 10-90%"))
        ax.legend(fontsize="x-small", loc="lower left")

    return drawn(draw)


def gains_plot(gains: Mapping[str, Gains], names: Mapping[str, str]) -> bytes:
    """Cumulative bad capture against the share of rows taken from the lowest score up."""
    if not gains:
        raise ValueError("gains is empty; a gains plot needs a sample with outcomes")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for sample, g in gains.items():
            t = g.table
            rows = np.r_[0, t["n"].cumsum() / t["n"].sum()]
            colour = COLOURS.get(sample, COLOURS["current"])
            ax.plot(rows, np.r_[0, t["cum_bad_capture"]], marker="o", color=colour,
                    label=f"{names[sample]}: {bi('bads', '坏客户')} (KS {g.ks:.3f})")
            ax.plot(rows, np.r_[0, t["cum_good_share"]], linestyle="--", color=colour,
                    label=f"{names[sample]}: {bi('goods', '好客户')}")
        ax.plot([0, 1], [0, 1], color="#bdbdbd", linestyle=":")
        ax.set(xlabel=bi("share of rows, lowest score first", "样本占比（从低分起）"),
               ylabel=bi("cumulative share", "累计占比"), title=title("按分数十分位的增益", "Gains by score decile"),
               xlim=(0, 1), ylim=(0, 1.01))
        ax.legend(fontsize="x-small", loc="lower right")

    return drawn(draw)


def calibration_plot(table: pd.DataFrame) -> bytes:
    """Mean PD against the bad rate and its Jeffreys interval per class (a Jeffreys test table)."""
    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        x = np.arange(len(table))
        obs = table["bad_rate"].to_numpy(dtype=float)
        err = np.vstack([np.clip(obs - table["lower"], 0, None), np.clip(table["upper"] - obs, 0, None)])
        ax.errorbar(x, obs, yerr=err, fmt="o", color=COLOURS["red"], capsize=4,
                    label=bi("bad rate, Jeffreys 95%", "坏账率及 Jeffreys 95% 区间"))
        ax.plot(x, table["mean_pd"], "D", color="black", label=bi("mean PD", "平均 PD"))
        ax.set_xticks(x, [str(c) for c in table["class"]])
        ax.set(xlabel=bi("risk class", "风险等级"), ylabel=bi("rate", "比率"),
               title=title("按等级校准（当前）", "Calibration by class (current)"))
        ax.legend(fontsize="small", loc="upper left")

    return drawn(draw)
