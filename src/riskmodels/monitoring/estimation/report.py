"""The performance-estimation report (表现预估报告): one self-contained bilingual HTML page with
its plot, and the figures as JSON.

Headings and columns are in Chinese and English side by side, from the template
``estimate_report.html.j2`` (``riskmodels.reporting``); the plot is drawn in the reports' style
with titles in both languages.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup

from riskmodels.monitoring.estimation.compare import Comparison, SegmentComparison, Verdict
from riskmodels.monitoring.estimation.run import EstimationRun
from riskmodels.reporting import Badge, Bilingual, Cell, Figure, Figures, Section, Table, Text, pct, render, style
from riskmodels.reporting.files import write_atomic

HTML_NAME, JSON_NAME = "estimate_report.html", "estimate_summary.json"
TEMPLATE = "estimate_report.html.j2"
_VERDICTS = {"inside": ("inside 区间内", "pass"), "outside": ("outside 区间外", "fail"),
             "not judged": ("not judged 未判定", "note")}
_BAND, _POINT, _OUT = style.BLUE, style.GOOD, style.BAD


@style.styled
def estimate_plot(comparison: Comparison) -> bytes:
    """Two panels (bad rate, AUC) by month. Each shows the expected value and its interval as a
    band, with the realised figure as a dot: green inside the band, red outside."""
    months = comparison.months or [comparison.overall]
    fig = style.new_figure((9.6, 3.8))
    x = np.arange(len(months))
    level = int(round(comparison.level * 100))
    panels = (("bad_rate", "坏账率", "Bad rate"), ("auc", "AUC", "AUC"))
    for ax, (metric, zh, en) in zip(fig.subplots(1, 2), panels, strict=True):
        # The band a realised figure is judged against: the observed rows' estimate when outcomes exist.
        bands = [s.observed_estimate or s.estimate for s in months]
        mid = [getattr(e, metric) for e in bands]
        low = [getattr(e, f"{metric}_interval").low for e in bands]
        high = [getattr(e, f"{metric}_interval").high for e in bands]
        ax.fill_between(x, low, high, color=_BAND, alpha=0.18, step="mid", label=f"{level}% interval")
        ax.plot(x, mid, color=_BAND, linewidth=1.2, drawstyle="steps-mid", label="expected (from PDs)")
        seen = [(i, getattr(s.realised, metric), getattr(s, f"{metric}_verdict")) for i, s in enumerate(months)
                if s.realised is not None and not math.isnan(getattr(s.realised, metric))]
        for outside, colour, label in ((False, _POINT, "realised, inside"), (True, _OUT, "realised, outside")):
            dots = [(i, v) for i, v, verdict in seen if (verdict == "outside") == outside]
            if dots:
                ax.scatter([i for i, _ in dots], [v for _, v in dots], zorder=3, s=22, color=colour, label=label)
        step = max(1, len(months) // 12)
        ax.set_xticks(x[::step], [s.segment for s in months][::step], rotation=45, ha="right", fontsize="x-small")
        ax.set(title=style.title(f"{zh}：预估与实际", f"{en}: estimate vs realised"), xlabel="application month")
        ax.legend(fontsize="x-small", loc="best")
    return style.png_bytes(fig)


def _verdict_badge(verdict: Verdict) -> Cell:
    text, kind = _VERDICTS[verdict]
    return Badge(text, kind) if kind != "note" else Markup('<span class="note">{}</span>').format(text)


def _interval(low: float, high: float, digits: int) -> str:
    if math.isnan(low):
        return ""
    return f"[{low:.{digits}f}, {high:.{digits}f}]" if digits else f"[{low:.2%}, {high:.2%}]"


COLUMNS = (Bilingual("分组", "segment"), Bilingual("样本数", "n"), Bilingual("有表现", "with outcome"),
           Bilingual("预估坏账率", "expected bad rate"), Bilingual("区间", "interval"),
           Bilingual("实际坏账率", "realised bad rate"), Bilingual("坏账率判定", "bad rate verdict"),
           Bilingual("预估 AUC", "expected AUC"), Bilingual("区间", "interval"),
           Bilingual("实际 AUC", "realised AUC"), Bilingual("AUC 判定", "AUC verdict"))


def _row(s: SegmentComparison) -> list[object]:
    e = s.observed_estimate or s.estimate
    r = s.realised
    return [s.segment, s.estimate.n, r.n if r is not None else 0,
            pct(e.bad_rate), _interval(e.bad_rate_interval.low, e.bad_rate_interval.high, 0),
            pct(r.bad_rate) if r is not None else "", _verdict_badge(s.bad_rate_verdict),
            e.auc, _interval(e.auc_interval.low, e.auc_interval.high, 4),
            r.auc if r is not None else math.nan, _verdict_badge(s.auc_verdict)]


def _before_outcomes(c: Comparison) -> Table:
    rows = [[s.segment, s.estimate.n, pct(s.estimate.bad_rate),
             _interval(s.estimate.bad_rate_interval.low, s.estimate.bad_rate_interval.high, 0),
             s.estimate.auc, _interval(s.estimate.auc_interval.low, s.estimate.auc_interval.high, 4)]
            for s in [*c.months, c.overall]]
    return Table.of([COLUMNS[0], COLUMNS[1], COLUMNS[3], COLUMNS[4], COLUMNS[7], COLUMNS[8]], rows)


def _headline(run: EstimationRun) -> Text:
    c = run.comparison
    o = c.overall
    level = int(round(c.level * 100))
    flagged = c.flagged
    realised = o.realised.n if o.realised else 0
    population = "已放款贷款" if run.population == "booked loans" else "全部行"
    flags_en = (Markup("<b>{} realised figure(s) outside their {}% interval</b>: {}.").format(
        len(flagged), level, ", ".join(flagged)) if flagged else f"No realised figure lies outside its {level}% interval.")
    return Text(Bilingual(
        f"数据 {run.source}：共 {run.n_rows:,} 行，预估对象为{population}（{o.estimate.n:,} 行），其中 {realised:,} 行已有表现。"
        f"预估坏账率 {pct(o.estimate.bad_rate)}，预估 AUC {o.estimate.auc:.4f}。"
        + (f"{len(flagged)} 个实际值落在 {level}% 区间之外：{', '.join(flagged)}。" if flagged else
           f"所有实际值均落在 {level}% 区间之内。"),
        Markup("Data {}: {:,} rows, estimated on {} ({:,}); outcomes known for {:,} (target {}). Expected bad rate "
               "{}, expected AUC {:.4f}. {}").format(run.source, run.n_rows, run.population, o.estimate.n, realised,
                                                     str(run.target), pct(o.estimate.bad_rate), o.estimate.auc,
                                                     flags_en)))


def _method(c: Comparison) -> Text:
    level = int(round(c.level * 100))
    return Text(Bilingual(
        f"方法：若 PD 已校准，每笔贷款以其 PD 的概率成为坏样本。预估坏账率即平均 PD；预估 AUC 为期望 ROC 曲线下的面积"
        f"（每笔贷款以 PD 计为坏、以 1−PD 计为好）。{level}% 区间由模拟得到：按各自 PD 抽取 {c.draws} 组表现"
        f"（随机种子 {c.seed}），取这些模拟所实现的坏账率与 AUC 的中间 {level}%。实际值落在区间外，说明 PD 对该人群不再成立："
        "或是模型未捕捉到的人群变化，或是校准偏差。实际值与同一批（已有表现的）贷款上的预估相比较。",
        "How it is estimated: if the PDs are calibrated, each loan is bad with its PD. The expected bad rate is "
        "the mean PD. The expected AUC is the area under the expected ROC curve, each loan counting its PD as a "
        f"bad and one minus it as a good. The {level}% interval is simulated: {c.draws} sets of outcomes are "
        f"drawn, each loan bad with its PD (seed {c.seed}), and the interval holds the middle {level}% of the "
        "bad rates and AUCs those draws realise. A realised figure outside it says the PDs do not hold for "
        "this population: a shift the model does not see, or a miscalibration. Realised figures are judged "
        "against the estimate on the same loans (those with an outcome)."), note=True)


def estimate_html(run: EstimationRun) -> str:
    c = run.comparison
    name = f"{run.model.name} v{run.model.version}"
    sections = [
        Section(Bilingual("预估与实际对比", "Estimate beside the realised figures"),
                (Figures((Figure(estimate_plot(c), "estimate band vs realised by month"),)),
                 Table.of(COLUMNS, [_row(s) for s in [*c.months, c.overall]]), _method(c))),
        Section(Bilingual("表现期前：全部样本的预估", "Before outcomes: the estimate on every row"),
                (_before_outcomes(c),))]
    return render(TEMPLATE, title=Bilingual(f"表现期前的模型表现预估：{name}", f"Performance before outcomes: {name}"),
                  intro=(_headline(run),), sections=sections)


def summary(run: EstimationRun) -> dict[str, Any]:
    """The JSON: model, data, method and one row per month and overall (NaN written as null)."""
    c = run.comparison

    def clean(value: object) -> object:
        return None if isinstance(value, float) and math.isnan(value) else value

    return {"model": {"name": run.model.name, "version": run.model.version, "run_id": run.model.run_id},
            "data": {"source": run.source, "rows": run.n_rows, "population": run.population, "target": run.target},
            "method": {"interval": "quantiles of the bad rate and AUC realised by simulated outcomes "
                                   "y ~ Bernoulli(pd)", "level": c.level, "draws": c.draws, "seed": c.seed},
            "flagged": c.flagged,
            "segments": [{k: clean(v) for k, v in s.row().items()} for s in [*c.months, c.overall]]}


def write_estimate_report(run: EstimationRun, out_dir: Path) -> tuple[Path, Path]:
    """Both files, rendered in full before either is written; returns (html, json)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = estimate_html(run)
    text = json.dumps(summary(run), indent=1, ensure_ascii=False)
    paths = out_dir / HTML_NAME, out_dir / JSON_NAME
    write_atomic(paths[1], text)
    write_atomic(paths[0], page)
    return paths
