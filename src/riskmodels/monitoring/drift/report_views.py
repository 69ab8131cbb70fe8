"""The drift report's bilingual building blocks and the sections of the validator's views:
PSI with its interval, characteristic analysis, score by month and gains tables.

Every title and column carries English and Chinese; the page is laid out from these blocks
(``riskmodels.reporting``) by ``drift_report.html.j2``. Every figure is read from the
``DriftResult``."""

from __future__ import annotations

import pandas as pd

from riskmodels.monitoring.drift.analysis import DriftResult
from riskmodels.monitoring.drift.plots_views import gains_plot, points_shift_plot, score_by_month_plot
from riskmodels.monitoring.drift.psi_ci import METHOD, PsiInterval
from riskmodels.reporting import Badge, Bilingual, Block, Details, Figure, Figures, Heading, Section, Table, Text

SAMPLES = {"baseline": "baseline 基准", "current": "current 当前"}
STATUS = {"green": "green 绿", "amber": "amber 黄", "red": "red 红"}
COLUMNS = {
    "characteristic": "特征", "bin": "分箱", "points": "分数", "expected_share": "基准占比",
    "actual_share": "当前占比", "share_change": "占比变化", "points_shift": "得分变化", "expected_points": "基准平均得分",
    "actual_points": "当前平均得分", "sample": "样本", "month": "月份", "n": "样本数", "mean": "均值", "std": "标准差",
    "p10": "10%分位", "p25": "25%分位", "p50": "中位数", "p75": "75%分位", "p90": "90%分位", "band": "分数段",
    "min_score": "最低分", "max_score": "最高分", "bads": "坏客户数", "bad_rate": "坏账率",
    "cum_bad_capture": "累计坏客户捕获率", "cum_good_share": "累计好客户占比", "ks": "KS", "expected_n": "基准样本数",
    "actual_n": "当前样本数", "psi": "PSI", "judged": "是否评判", "status": "状态",
    "baseline_missing": "基准缺失率", "current_missing": "当前缺失率", "baseline_special": "基准特殊值占比",
    "current_special": "当前特殊值占比", "baseline class": "基准等级", "current class": "当前等级",
    "class": "等级",
}


def column(name: str) -> str:
    zh = COLUMNS.get(name)
    if zh is None or zh.lower() == name.lower():  # a statistic's name (PSI, KS) reads the same in both
        return zh or name
    return f"{name} {zh}"


def frame(df: pd.DataFrame, digits: int = 4) -> Table:
    """A DataFrame as a table, its column names in both languages."""
    return Table.frame(df, digits, header=column)


def status_badge(status: str) -> Badge:
    return Badge(STATUS.get(status, status), status)


def note(en: str, zh: str) -> Text:
    return Text(Bilingual(zh, en), note=True)


def heading(en: str, zh: str, level: int = 3) -> Heading:
    return Heading(Bilingual(zh, en), level)


def plots(*figures: tuple[bytes, str]) -> Figures:
    return Figures(tuple(Figure(png, alt) for png, alt in figures))


def _interval_row(name: str, ci: PsiInterval) -> list[object]:
    return [name, ci.psi, ci.lower, ci.upper, ci.noise]


def psi_intervals(result: DriftResult) -> list[Block]:
    v = result.views
    rows = [_interval_row("score 分数", v.score_psi)]
    rows += [_interval_row(name, ci) for name, ci in sorted(v.csi.items(), key=lambda kv: -kv[1].psi)]
    ci = v.score_psi
    return [heading("PSI and CSI with confidence intervals", "PSI 与 CSI 的置信区间"),
            note(f"Method: {METHOD}. The noise level is the PSI two samples of one population this size exceed "
                 f"5% of the time (chi-square approximation); a PSI below it is within sampling noise. "
                 f"Score PSI {ci.psi:.4f}, {ci.level:.0%} interval [{ci.lower:.4f}, {ci.upper:.4f}], "
                 f"noise level {ci.noise:.4f}.",
                 f"方法：偏差校正的百分位自助法，对两个样本的分箱计数各做 {ci.resamples} 次固定种子的多项分布重抽样，"
                 f"置信水平 {ci.level:.0%}。噪声水平为同一总体、同样样本量下两样本 PSI 超过它的概率为 5% 的值（卡方近似）。"
                 f"分数 PSI {ci.psi:.4f}，区间 [{ci.lower:.4f}, {ci.upper:.4f}]，噪声水平 {ci.noise:.4f}。"),
            Table.of(["PSI of 指标", "PSI", f"lower 下限 ({ci.level:.0%})", f"upper 上限 ({ci.level:.0%})",
                      "noise level 噪声水平 (95%)"], rows)]


def characteristics(result: DriftResult) -> Section:
    a = result.views.characteristics
    mean = {s.sample.name: float(s.points.mean()) for s in (result.baseline, result.current)}
    details: list[Block] = [
        Details(str(name), (frame(part.drop(columns="characteristic")[
            (part["expected_share"] > 0) | (part["actual_share"] > 0)]),))
        for name, part in a.bins.groupby("characteristic", sort=False)]
    return Section(Bilingual("特征分析", "Characteristic analysis"), (
        note(f"Share of rows per scorecard bin in the development sample (expected) and now (actual), the bin's "
             f"points, and the mean points sum(share x points) of each characteristic. The shifts add up to the "
             f"shift of the mean score before clipping to the scale: {a.expected_score:.2f} -> "
             f"{a.actual_score:.2f} ({a.total_shift:+.2f}); scored directly, the mean unclipped score moved "
             f"{mean['baseline']:.2f} -> {mean['current']:.2f}.",
             f"各评分卡分箱在开发样本（预期）与当前样本（实际）中的占比、该分箱分数，以及各特征平均得分"
             f"（占比×分数之和）。各特征得分变化之和等于未截断平均分的变化：{a.expected_score:.2f} → "
             f"{a.actual_score:.2f}（{a.total_shift:+.2f}）；直接评分的未截断平均分为 {mean['baseline']:.2f} → "
             f"{mean['current']:.2f}。"),
        plots((points_shift_plot(a), "points shift per characteristic")),
        frame(a.summary),
        heading("Bins of each characteristic", "各特征分箱明细", 4), *details))


def score_months(result: DriftResult) -> Section:
    table = result.views.score_by_month
    title = Bilingual("按月分数分布", "Score distribution by month")
    if table.empty:
        return Section(title, (note("Neither sample is dated (the training run recorded no date column), so there "
                                    "is no score by month.", "两个样本均无日期（训练记录中没有日期列），无法按月展示分数分布。"),))
    dated = ", ".join(SAMPLES[s] for s in dict.fromkeys(table["sample"]))
    return Section(title, (
        note(f"Application month of each dated sample ({dated}): the median score (line), the mean (dashed), "
             f"and the bands holding the middle 50% and 80% of the scores.",
             f"各有日期样本的申请月份（{dated}）：中位数（实线）、均值（虚线），以及包含中间 50% 与 80% 分数的区间。"),
        plots((score_by_month_plot(table, SAMPLES), "score by month")),
        frame(table.assign(sample=table["sample"].map(SAMPLES)))))


def gains(result: DriftResult) -> Section:
    v = result.views
    parts: list[Block] = [
        note("Score deciles of the rows with an outcome in each sample, lowest score (riskiest) first. KS at a "
             "band is the gap between cumulative bad capture and cumulative good share; the exact KS takes "
             "every score as a cut-off.",
             "按各样本有表现结果的记录的分数十分位分段，从最低分（风险最高）开始。分数段 KS 为累计坏客户捕获率与"
             "累计好客户占比之差；精确 KS 以每个分数为切点计算。")]
    for sample, reason in v.gains_missing.items():
        parts.append(note(f"No gains table for the {sample} sample: {reason.en}.",
                          f"{SAMPLES[sample]}样本无增益表：{reason.zh}。"))
    if v.gains:
        parts.append(plots((gains_plot(v.gains, SAMPLES), "gains by score decile")))
    for sample, g in v.gains.items():
        parts.append(heading(f"{sample}: {g.n:,} rows, {g.bads:,} bads, exact KS {g.ks:.4f}",
                             f"{SAMPLES[sample].split()[1]}：{g.n:,} 笔，坏客户 {g.bads:,}，精确 KS {g.ks:.4f}", 4))
        parts.append(frame(g.table))
    return Section(Bilingual("分数段增益表", "Gains table by score band"), tuple(parts))
