"""The vintage report (账龄分析与滚动率报告): one self-contained HTML page and its tables as CSV.

Headings, table columns and the findings are in Chinese and English, side by side, from the
template ``vintage_report.html.j2``; plots are PNGs embedded in the page, drawn in the reports'
style (``riskmodels.reporting.style``) with titles in both languages.
Every figure is computed from the snapshots (``analysis``), none is written in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from riskmodels.evaluation.plots import new_axes, png_bytes
from riskmodels.monitoring.vintage.analysis import (
    BAD_DPD,
    BUCKETS,
    FLAT_HAZARD_RATIO,
    FOLLOW_UP_MONTHS,
    MIN_MONTHLY_COHORT,
    TAIL_MONTHS,
    WINDOW_MONTHS,
    VintageAnalysis,
)
from riskmodels.reporting import Bilingual, Block, Figure, Figures, Heading, Section, Table, Text, pct, render
from riskmodels.reporting.style import styled, title

BUCKET_NAMES = {"current": "正常 current", "1-29": "逾期1-29天 1-29", "30-59": "逾期30-59天 30-59",
                "60-89": "逾期60-89天 60-89", "90+": "逾期90天以上 90+"}
COHORT_NAMES = {"month": "放款月份 / booking month", "quarter": "放款季度 / booking quarter"}
REPORT_NAME = "vintage_report.html"
MIN_MOVES_PLOTTED = 30  # a month's roll rate from fewer accounts is left off the plot (still in the table)


# -- plots -----------------------------------------------------------------------------------
@styled
def curves_plot(curves: pd.DataFrame, threshold: str) -> bytes:
    """One line per cohort, oldest to newest from dark to light."""
    from matplotlib import colormaps

    data = curves[curves["threshold"] == threshold]
    cohorts = list(dict.fromkeys(data["cohort"]))
    colours = colormaps["viridis"](np.linspace(0, 0.9, max(len(cohorts), 1)))
    fig, ax = new_axes()
    for cohort, colour in zip(cohorts, colours, strict=True):
        one = data[data["cohort"] == cohort]
        ax.plot(one["months_on_book"], 100 * one["bad_rate"], color=colour, marker=".", label=cohort)
    ax.set(xlabel="months on book", ylabel=f"cumulative {threshold} DPD rate, %",
           title=title(f"账龄曲线：累计逾期 {threshold}", f"Vintage curves: ever {threshold} DPD by cohort"))
    ax.legend(fontsize="x-small", ncol=2 if len(cohorts) > 8 else 1, loc="upper left")
    return png_bytes(fig)


@styled
def matrix_plot(rates: pd.DataFrame, counts: pd.DataFrame) -> bytes:
    """The pooled transition matrix as a heat map of row shares, with the counts."""
    fig, ax = new_axes()
    shares = rates.to_numpy(dtype=float)
    ax.imshow(np.nan_to_num(shares), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(BUCKETS)), list(BUCKETS))
    ax.set_yticks(range(len(BUCKETS)), list(BUCKETS))
    ax.set(xlabel="DPD bucket next month-end", ylabel="DPD bucket this month-end",
           title=title("滚动率（表现期合并）", "Roll rates, pooled over the window"))
    for (i, j), count in np.ndenumerate(counts.to_numpy()):
        text = "-" if np.isnan(shares[i, j]) else f"{shares[i, j]:.1%}\n({count:,})"
        ax.text(j, i, text, ha="center", va="center", fontsize=7,
                color="white" if np.nan_to_num(shares[i, j]) > 0.6 else "black")
    return png_bytes(fig)


@styled
def roll_forward_plot(by_month: pd.DataFrame) -> bytes:
    """Share of each bucket rolling to a worse one, month by month."""
    fig, ax = new_axes()
    months = list(dict.fromkeys(by_month["month"]))
    for bucket, colour in zip(BUCKETS[:-1], ("#2e7d32", "#1565c0", "#b26a00", "#c62828"), strict=True):
        one = by_month[(by_month["from_bucket"] == bucket) & (by_month["accounts"] >= MIN_MOVES_PLOTTED)]
        if len(one):
            ax.plot([months.index(m) for m in one["month"]], 100 * one["roll_forward_rate"], color=colour,
                    marker=".", label=f"from {bucket}")
    step = max(1, len(months) // 10)
    ax.set_xticks(np.arange(len(months))[::step], months[::step], rotation=45, ha="right", fontsize="x-small")
    ax.set(ylabel="rolled to a worse bucket, %", title=title("逐月前滚率", f"Roll-forward rate by month (>= {MIN_MOVES_PLOTTED} moves)"))
    ax.legend(fontsize="x-small")
    return png_bytes(fig)


@styled
def timing_plot(timing: pd.DataFrame) -> bytes:
    """Share of the window's 90+ bads reached by each month on book, and the monthly hazard."""
    fig, ax = new_axes()
    ax.bar(timing["months_on_book"], 100 * timing["share_of_eventual"], color="#90caf9",
           label="share of the window's 90+ bads reached")
    ax.set(xlabel="months on book", ylabel="% of the window's bads", ylim=(0, 105),
           title=title("坏账出现时间", "When 90+ bads arrive"))
    right = ax.twinx()
    right.plot(timing["months_on_book"], 100 * timing["hazard"], color="#c62828", marker="o",
               label="monthly hazard (new 90+ / still good)")
    right.set_ylabel("monthly hazard, %")
    right.set_ylim(0, max(float(100 * timing["hazard"].max()) * 1.3, 0.1))
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [str(h.get_label()) for h in handles], fontsize="x-small", loc="upper left")
    return png_bytes(fig)


# -- tables ----------------------------------------------------------------------------------
def curve_table(curves: pd.DataFrame, threshold: str, freq: str) -> pd.DataFrame:
    """Cohorts (rows) x months on book (columns), cumulative rates as percentages."""
    data = curves[curves["threshold"] == threshold]
    wide = data.pivot(index="cohort", columns="months_on_book", values="bad_rate")
    sizes = data.groupby("cohort")["accounts"].first()
    out = pd.DataFrame({COHORT_NAMES[freq]: wide.index, "账户数 accounts": sizes.reindex(wide.index).to_numpy()})
    for mob in wide.columns:
        out[f"MOB {mob}"] = [pct(float(v)) for v in wide[mob]]
    return out


def _named(matrix: pd.DataFrame, cell: Callable[[float], object]) -> pd.DataFrame:
    out = matrix.rename(index=BUCKET_NAMES, columns=BUCKET_NAMES).map(cell)
    return out.rename_axis("本月 from \\ 下月 to").reset_index()


def by_month_table(by_month: pd.DataFrame) -> pd.DataFrame:
    wide = by_month.pivot(index="month", columns="from_bucket", values="roll_forward_rate")
    wide = wide.reindex(columns=[b for b in BUCKETS if b in wide.columns])
    out = pd.DataFrame({"月份 month": wide.index})
    for bucket in wide.columns:
        out[f"{BUCKET_NAMES[bucket]} → worse"] = [pct(float(v)) for v in wide[bucket]]
    return out


# -- the page --------------------------------------------------------------------------------
def _vintage_section(analysis: VintageAnalysis) -> Section:
    freq, curves = analysis.cohort_freq, analysis.curves
    body: list[Block] = [Text(f"Cohort = {COHORT_NAMES[freq]}: months when the median booking month holds at "
            f"least {MIN_MONTHLY_COHORT:,} accounts, else quarters (按月样本不足时按季度合并). Rate at month on book "
            f"(MOB) m = accounts that reached the DPD threshold at any month-end up to m, over every account of "
            f"the cohort (固定分母，曲线不降). A cohort's curve stops at the last MOB its latest booking month "
            f"has reached.", note=True)]
    body.append(Figures((Figure(curves_plot(curves, f"{BAD_DPD}+"), "vintage curves 90+"),)))
    body += [Heading(Bilingual("累计逾期90天以上占比", f"Cumulative ever {BAD_DPD}+ DPD")),
             Table.frame(curve_table(curves, f"{BAD_DPD}+", freq))]
    others = [t for t in dict.fromkeys(curves["threshold"]) if t != f"{BAD_DPD}+"]
    body.append(Figures(tuple(Figure(curves_plot(curves, t), f"vintage curves {t}") for t in others)))
    for t in others:
        body += [Heading(Bilingual(f"累计逾期{t.rstrip('+')}天以上占比", f"Cumulative ever {t} DPD")),
                 Table.frame(curve_table(curves, t, freq))]
    return Section(Bilingual("账龄曲线", "Vintage curves"), tuple(body))


def _roll_section(analysis: VintageAnalysis) -> Section:
    rolls = analysis.rolls
    n = int(rolls.counts.to_numpy().sum())
    note = (f"{n:,} month-to-month moves: the DPD bucket of an account at one month-end against "
            f"the next (相邻两个月末的逾期状态). Pooled over the window, so each move counts once. A bucket no "
            f"account left (a row of dashes) cannot be read: e.g. a book that stops reporting a loan once it is "
            f"90+ (核销) shows no move out of 90+.")
    body = (Text(note, note=True),
            Figures((Figure(matrix_plot(rolls.rates, rolls.counts), "roll-rate matrix"),
                     Figure(roll_forward_plot(rolls.by_month), "roll-forward by month"))),
            Heading(Bilingual("滚动率（行占比）", "Roll rates (row shares)")),
            Table.frame(_named(rolls.rates, lambda v: "—" if np.isnan(v) else f"{v:.1%}")),
            Heading(Bilingual("迁移笔数", "Counts")), Table.frame(_named(rolls.counts, int)),
            Heading(Bilingual("逐月前滚率", "Roll-forward rate by month")), Table.frame(by_month_table(rolls.by_month)))
    return Section(Bilingual("滚动率矩阵", "Roll-rate matrices"), body)


def _window_section(analysis: VintageAnalysis) -> Section:
    ev = analysis.evidence
    timing, rolls = ev.timing, ev.roll_to_bad.set_index("threshold")
    reached = {m: float(timing.loc[timing["months_on_book"] == m, "share_of_eventual"].iloc[0])
               for m in (6, 9) if m <= ev.horizon}
    reached_text = ", ".join(f"{share:.0%} by MOB {m}" for m, share in reached.items())
    # Markup only for our own <b>; every value goes through format(), which escapes it.
    if ev.flattened:
        verdict = Markup("{}").format(
            f"The monthly hazard at the window's end is {ev.hazard_ratio:.0%} of its peak (under "
            f"{FLAT_HAZARD_RATIO:.0%}): the curve has flattened, so a longer window would add few bads "
            f"(曲线已趋平，表现期足够).")
    else:
        verdict = Markup("The monthly hazard over the last {} months is still {} of its peak: the curve has "
                         "<b>not</b> flattened by MOB {}. {}").format(
            TAIL_MONTHS, f"{ev.hazard_ratio:.0%}", ev.horizon,
            f"Each further month would add about {ev.tail_share:.1%} more bads; a {WINDOW_MONTHS}-month window "
            f"ranks risk but does not capture eventual default (曲线未趋平：表现期内仍有新增坏账，{WINDOW_MONTHS}"
            f"个月口径低估最终违约).")
    definition = (f"Bad = ever {BAD_DPD}+ DPD within {WINDOW_MONTHS} months on book (坏客户定义：{WINDOW_MONTHS}个月内"
                  f"逾期{BAD_DPD}天以上). Over the {ev.horizon} months on book that cohorts holding half the accounts "
                  f"reach ({ev.accounts:,} accounts), {int(timing['cumulative_bads'].iloc[-1]):,} went 90+: "
                  f"{reached_text}. ")
    body: list[Block] = [Text(Markup("{}{}").format(definition, verdict))]
    body.append(Figures((Figure(timing_plot(timing), "timing of 90+ bads"),)))
    shown = timing.assign(share_of_eventual=[pct(float(v)) for v in timing["share_of_eventual"]],
                          hazard=[pct(float(v)) for v in timing["hazard"]])
    body += [Heading(Bilingual("坏账出现时间", "When bads arrive")), Table.frame(shown.rename(columns={
        "months_on_book": "账龄 MOB", "new_bads": "新增坏账 new 90+", "cumulative_bads": "累计坏账 cumulative",
        "share_of_eventual": "占表现期坏账 share of window's bads", "hazard": "月违约率 monthly hazard"}))]
    lines = []
    for t in rolls.index:
        row = rolls.loc[t]
        lines.append(f"of {int(row['accounts']):,} accounts that reached {t}, {row['roll_to_90_rate']:.1%} went on "
                     f"to 90+ and {row['cure_rate']:.1%} were current again {FOLLOW_UP_MONTHS} months later")
    out_of_90 = analysis.rolls.counts.loc["90+"].to_numpy(dtype=np.int64)  # current first, as in BUCKETS
    if out_of_90.sum() == 0:
        cure_90 = ("Cures from 90+ cannot be measured here: the book shows no month-end after an account's first "
                   "90+ (90天以上后不再报送，无法观察其治愈)")
    else:
        cure_90 = (f"From 90+, {out_of_90[0] / out_of_90.sum():.1%} of {out_of_90.sum():,} monthly "
                   f"moves went back to current")
    body += [Heading(Bilingual("为何选择90天而非60天", "Why 90+ and not 60+")),
             Text(f"Followed for {FOLLOW_UP_MONTHS} months after the first month-end at the threshold (accounts "
             f"with a shorter history left out): {'; '.join(lines)}. {cure_90}. {_breadth(analysis)} A threshold "
             f"that accounts still cure from labels as bad some that never default; 90+ keeps the label for "
             f"the loans that go on to default (60天以上的账户大多继续恶化至90天以上，但仍有部分治愈；"
             f"以90天为坏定义可排除可自愈的短期逾期).")]
    shown_rolls = ev.roll_to_bad.assign(roll_to_90_rate=[pct(float(v)) for v in ev.roll_to_bad["roll_to_90_rate"]],
                                        cure_rate=[pct(float(v)) for v in ev.roll_to_bad["cure_rate"]])
    body.append(Table.frame(shown_rolls.rename(columns={
        "threshold": "首次达到 first reached", "accounts": "账户数 accounts", "rolled_to_90": "转90+ rolled to 90+",
        "cured": "治愈 cured", "still_delinquent": "仍逾期 still late", "roll_to_90_rate": "转90+率 roll rate",
        "cure_rate": "治愈率 cure rate"})))
    return Section(Bilingual("表现期与坏客户定义", "The performance window and the bad definition"), tuple(body))


def _breadth(analysis: VintageAnalysis) -> str:
    """How many more accounts a 30+ or 60+ definition would call bad, over the window."""
    horizon = min(analysis.evidence.horizon, WINDOW_MONTHS)
    at = analysis.curves[analysis.curves["months_on_book"] == horizon]
    bads = {str(t): int(n) for t, n in at.groupby("threshold")["cumulative_bads"].sum().items()}
    base = bads.get(f"{BAD_DPD}+", 0)
    if base == 0:
        return ""
    others = "; ".join(f"ever {t} would call {n / base:.2f} times as many bad" for t, n in bads.items()
                       if t != f"{BAD_DPD}+")
    return (f"By MOB {horizon}, over the {at['cohort'].nunique()} cohorts that reach it, {base:,} accounts "
            f"went 90+; {others}.")


def page(analysis: VintageAnalysis) -> str:
    """The HTML page as text."""
    intro = Text(f"{analysis.n_accounts:,} accounts 账户, {analysis.n_snapshots:,} month-end snapshots 月末快照 "
                 f"(behavior_snapshots). DPD buckets 逾期分档: {', '.join(BUCKET_NAMES.values())}.", note=True)
    sections = (_vintage_section(analysis), _roll_section(analysis), _window_section(analysis))
    return render("vintage_report.html.j2",
                  title=Bilingual(f"账龄分析与滚动率：截至 {analysis.as_of}", f"Vintages and roll rates: book to {analysis.as_of}"),
                  intro=(intro,), sections=sections)


def write_vintage_report(analysis: VintageAnalysis, out_dir: Path) -> dict[str, Path]:
    """The HTML page and the CSV tables in ``out_dir``; returns {file name: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rolls, ev = analysis.rolls, analysis.evidence
    tables = {"vintage_curves.csv": analysis.curves, "roll_rates.csv": rolls.rates.reset_index(),
              "roll_rate_counts.csv": rolls.counts.reset_index(), "roll_forward_by_month.csv": rolls.by_month,
              "bad_timing.csv": ev.timing, "roll_to_bad.csv": ev.roll_to_bad}
    paths = {}
    for name, table in tables.items():
        paths[name] = out / name
        table.to_csv(paths[name], index=False, encoding="utf-8")
    paths[REPORT_NAME] = out / REPORT_NAME
    paths[REPORT_NAME].write_text(page(analysis), encoding="utf-8")
    return paths
