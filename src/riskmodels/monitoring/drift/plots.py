"""The drift report's plots, as PNG bytes, drawn in the reports' one style
(``riskmodels.reporting.style``: size, palette, and the CJK font as fallback so Chinese draws
as glyphs). Titles read "中文 / English" (``style.title``); axis labels and legends "English 中文"
(``bi``), English alone when no CJK font is installed rather than boxes. The bands drawn are
the thresholds the checks use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskmodels.evaluation import metrics
from riskmodels.monitoring.drift.thresholds import Band
from riskmodels.reporting import style

COLOURS = {"green": style.GOOD, "amber": style.AMBER, "red": style.BAD, "not judged": style.GREY,
           "baseline": style.GREY, "current": style.BLUE}
WIDTH, HEIGHT = style.SIZE


def bi(en: str, zh: str) -> str:
    """An axis label or legend entry in both languages, or in English when no CJK font is installed."""
    return f"{en} {zh}" if style.cjk_font() is not None else en


def title(zh: str, en: str) -> str:
    """A plot title, "中文 / English" (English alone without a CJK font)."""
    return style.title(zh, en) if style.cjk_font() is not None else en


def drawn(draw: Callable[[Figure], None], height: float = HEIGHT) -> bytes:
    """A figure drawn by ``draw`` inside the reports' style and rendered to PNG."""
    with style.plotting():
        fig = style.new_figure((WIDTH, height))
        draw(fig)
        return style.png_bytes(fig)


def month_ticks(ax: Any, months: list[str]) -> None:
    step = max(1, len(months) // 12)
    x = np.arange(len(months))
    ax.set_xticks(x[::step], months[::step], rotation=45, ha="right", fontsize="x-small")


def psi_by_month_plot(monthly: pd.DataFrame, band: Band) -> bytes:
    """One marker per month, coloured by its status, with the amber and red lines."""
    if monthly.empty:
        raise ValueError("monthly has no rows; a PSI by month needs at least one month")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        x = np.arange(len(monthly))
        ax.plot(x, monthly["psi"], color=COLOURS["current"], linewidth=1)
        ax.scatter(x, monthly["psi"], c=[COLOURS[s] for s in monthly["status"]], zorder=3)
        ax.axhline(band.amber, color=COLOURS["amber"], linestyle="--", label=f"amber {band.amber:g}")
        ax.axhline(band.red, color=COLOURS["red"], linestyle="--", label=f"red {band.red:g}")
        month_ticks(ax, monthly["month"].astype(str).tolist())
        ax.set(ylabel=bi("PSI vs baseline bins", "相对基准分箱的 PSI"), title=title("按月分数 PSI", "Score PSI by month"),
               ylim=(0, max(band.red * 1.3, float(monthly["psi"].max()) * 1.1)))
        ax.legend(fontsize="small", loc="upper left")

    return drawn(draw)


def csi_bar_plot(values: pd.Series, band: Band) -> bytes:
    """Horizontal bars, largest CSI on top, coloured by band."""
    if values.empty:
        raise ValueError("values is empty; give at least one characteristic's CSI")
    ordered = values.sort_values()

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.barh(np.arange(len(ordered)), ordered.to_numpy(), color=[COLOURS[band.status(v)] for v in ordered])
        ax.set_yticks(np.arange(len(ordered)), ordered.index.tolist(), fontsize="x-small")
        ax.axvline(band.amber, color=COLOURS["amber"], linestyle="--", label=f"amber {band.amber:g}")
        ax.axvline(band.red, color=COLOURS["red"], linestyle="--", label=f"red {band.red:g}")
        ax.set(xlabel=bi("CSI (scorecard bins, baseline fixed)", "特征稳定性指数（评分卡分箱）"),
               title=title("各特征 CSI", "CSI per characteristic"))
        ax.legend(fontsize="small", loc="lower right")

    return drawn(draw, height=max(2.5, 0.22 * len(ordered) + 1.0))


def psi_bins_plot(result: metrics.StabilityResult) -> bytes:
    """Baseline and current share per score bin, each bin's PSI contribution on the right axis."""
    table = result.table

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        x = np.arange(len(table))
        ax.bar(x - 0.2, table["expected_share"], width=0.4, color=COLOURS["baseline"], label=bi("baseline", "基准"))
        ax.bar(x + 0.2, table["actual_share"], width=0.4, color=COLOURS["current"], label=bi("current", "当前"))
        ax.set_xticks(x, [str(b) for b in table["bin"]], rotation=60, ha="right", fontsize="x-small")
        ax.set(ylabel=bi("share of rows", "样本占比"), title=title(f"分数 PSI {result.total:.4f} 分箱", f"Score PSI {result.total:.4f} by bin"))
        right = ax.twinx()
        right.plot(x, table["psi"], "o-", color=COLOURS["red"], label=bi("PSI contribution", "PSI 贡献"))
        right.set_ylabel(bi("PSI contribution", "PSI 贡献"))
        handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize="small", loc="upper left")

    return drawn(draw)


def distributions_plot(groups: Mapping[str, np.ndarray], names: Mapping[str, str], bins: int = 30) -> bytes:
    """Overlaid score histograms on common bins, as densities."""
    values = {k: v[np.isfinite(v)] for k, v in groups.items()}
    if not any(len(v) for v in values.values()):
        raise ValueError("groups has no finite values to plot")
    edges = np.histogram_bin_edges(np.concatenate(list(values.values())), bins=bins)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for key, v in values.items():
            ax.hist(v, bins=edges.tolist(), density=True, alpha=0.5, color=COLOURS.get(key),
                    label=f"{names[key]} (n={len(v):,})")
        ax.set(xlabel=bi("score", "分数"), ylabel=bi("density", "密度"), title=title("分数分布", "Score distributions"))
        ax.legend(fontsize="small")

    return drawn(draw)
