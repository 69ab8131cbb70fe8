"""The strategy lab's report (策略实验室): one self-contained HTML page and the same figures as JSON.

Headings and labels are in Chinese and English, from the template ``strategy_report.html.j2``;
plots are PNGs embedded in the page, drawn in the reports' style (``riskmodels.reporting.style``)
with titles in both languages. Every figure is computed from the replays (``simulate``), none
is written in.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.evaluation.plots import new_axes, png_bytes
from riskmodels.monitoring.strategy.simulate import (
    OUTCOMES,
    Funnel,
    Replay,
    cutoff_grid,
    funnel,
    review_load,
    swap_set,
)
from riskmodels.reporting import Bilingual, Block, Figure, Figures, Heading, Section, Table, Text, pct, render
from riskmodels.reporting.style import styled, title

OUTCOME_NAMES = {"approve": "自动通过 / auto-approve", "offer": "按预授信额度授信 / offer at the pre-approved limit",
                 "review": "人工审查 / review by a person", "reject": "拒绝 / reject"}
_COLOURS = {"approve": "#2e7d32", "offer": "#1565c0", "review": "#b26a00", "reject": "#c62828"}


@dataclass(frozen=True)
class Simulation:
    """The lab's figures for one candidate (and its baseline, when given)."""

    candidate: Replay
    funnel: Funnel
    cutoffs: pd.DataFrame
    review_per_1000: float
    baseline: Replay | None = None
    baseline_funnel: Funnel | None = None
    baseline_review_per_1000: float | None = None
    swaps: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if frame is None:
                return None
            return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]

        def funnel_dict(f: Funnel | None) -> dict[str, Any] | None:
            return None if f is None else {"overall": records(f.overall), "by_class": records(f.by_class),
                                           "by_product": records(f.by_product), "by_rule": records(f.by_rule)}

        return {"candidate": self.candidate.label, "applications": self.candidate.n,
                "has_truth": self.candidate.has_truth, "funnel": funnel_dict(self.funnel),
                "review_per_1000": self.review_per_1000, "cutoffs": records(self.cutoffs),
                "baseline": None if self.baseline is None else self.baseline.label,
                "baseline_funnel": funnel_dict(self.baseline_funnel),
                "baseline_review_per_1000": self.baseline_review_per_1000, "swap_set": records(self.swaps)}


def _plain(value: Any) -> Any:
    """JSON's own types: NaN becomes null, numpy scalars Python numbers."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else float(value)
    return value


def simulate(candidate: Replay, baseline: Replay | None = None) -> Simulation:
    """Every figure of the lab from the replays."""
    if baseline is None:
        return Simulation(candidate, funnel(candidate), cutoff_grid(candidate), review_load(candidate))
    return Simulation(candidate, funnel(candidate), cutoff_grid(candidate), review_load(candidate), baseline,
                      funnel(baseline), review_load(baseline), swap_set(candidate, baseline))


# -- plots -----------------------------------------------------------------------------------
@styled
def funnel_plot(overall: pd.DataFrame, heading: str) -> bytes:
    fig, ax = new_axes()
    ax.bar(overall["outcome"], overall["share"], color=[_COLOURS[o] for o in overall["outcome"]])
    for i, share in enumerate(overall["share"]):
        ax.annotate(f"{share:.1%}", (i, share), ha="center", va="bottom", fontsize="small")
    ax.set_ylabel("share of applications")
    ax.set_title(heading)
    return png_bytes(fig)


@styled
def class_plot(by_class: pd.DataFrame) -> bytes:
    fig, ax = new_axes()
    bottom = np.zeros(len(by_class))
    for outcome in OUTCOMES:
        values = by_class[f"{outcome}_share"].to_numpy(dtype=float)
        ax.bar(by_class["risk_class"].astype(str), values, bottom=bottom, color=_COLOURS[outcome], label=outcome)
        bottom += values
    ax.set_ylabel("share of the class")
    ax.set_title(title("各风险等级的审批结果", "Outcome by risk class"))
    ax.legend(fontsize="small")
    return png_bytes(fig)


def _model_and_truth(ax: Any, x: pd.Series, model: pd.Series, truth: pd.Series, labels: tuple[str, str]) -> None:
    """The model's line, and the truth's beside it where the book has the truth."""
    ax.plot(x, model, "o-", color="#1565c0", label=labels[0])
    if truth.notna().any():
        ax.plot(x, truth, "s--", color="#c62828", label=labels[1])


@styled
def cutoff_plot(grid: pd.DataFrame) -> bytes:
    fig, ax = new_axes()
    _model_and_truth(ax, grid["approval_rate"], grid["observed_bad_rate"], grid["truth_bad_rate"],
                     ("observed (booked loans)", "truth (simulator)"))
    for _, row in grid.iterrows():
        ax.annotate(f"{row['cutoff']:g}", (row["approval_rate"], row["observed_bad_rate"]), fontsize="x-small")
    ax.set(xlabel="approval rate", ylabel="bad rate of the approved", title=title("策略曲线：A 卡切分点", "Strategy curve: A-score cut-offs"))
    ax.legend(fontsize="small")
    return png_bytes(fig)


@styled
def margin_plot(grid: pd.DataFrame) -> bytes:
    fig, ax = new_axes()
    _model_and_truth(ax, grid["cutoff"], grid["margin_model"] / 1e6, grid["margin_truth"] / 1e6,
                     ("with the model's PDs", "with the true PDs"))
    ax.axhline(0, color="#9e9e9e", linewidth=0.8)
    ax.set(xlabel="A-score cut-off", ylabel="risk-adjusted margin, million CNY a year", title=title("各切分点的风险调整收益", "Margin by cut-off"))
    ax.legend(fontsize="small")
    return png_bytes(fig)


@styled
def swap_plot(swaps: pd.DataFrame) -> bytes:
    fig, ax = new_axes()
    groups = swaps[swaps["group"].isin(["swap_in", "swap_out", "both"])]
    rate = groups["truth_bad_rate"] if groups["truth_bad_rate"].notna().any() else groups["observed_bad_rate"]
    ax.bar(groups["group"], rate.fillna(0.0), color=["#2e7d32", "#c62828", "#1565c0"][:len(groups)])
    for i, (value, n) in enumerate(zip(rate, groups["applications"], strict=True)):
        ax.annotate(f"{value:.2%}\nn={n:,}" if not math.isnan(value) else f"n={n:,}", (i, 0 if math.isnan(value)
                    else value), ha="center", va="bottom", fontsize="x-small")
    ax.set_ylabel("bad rate (truth where known)")
    ax.set_title(title("与基线的互换集", "Swap set against the baseline"))
    return png_bytes(fig)


# -- the page --------------------------------------------------------------------------------
def _pct_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column.endswith(("share", "_rate")):
            out[column] = [pct(float(v)) if v == v else "" for v in out[column]]
    return out


def _money_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in ("exposure", "interest_income", "expected_loss_model", "expected_loss_truth",
                   "funding_and_operating_cost", "margin_model", "margin_truth"):
        if column in out.columns:
            out[column] = [f"{v / 1e6:,.2f}" if v == v else "" for v in out[column]]
    return out


def _funnel_blocks(f: Funnel, label: str, review_per_1000: float) -> tuple[Block, ...]:
    overall = f.overall.assign(outcome=f.overall["outcome"].map(OUTCOME_NAMES))
    load = Bilingual(f"{label}：人工审查量每千笔申请 {review_per_1000:.0f} 笔。",
                     f"{label}: manual review load {review_per_1000:.0f} per 1,000 applications.")
    plots = Figures((Figure(funnel_plot(f.overall, title(f"审批漏斗：{label}", f"Funnel: {label}")), "funnel"),
                     Figure(class_plot(f.by_class), "outcome by class")))
    return (Text(load), Table.frame(_pct_columns(overall)), plots,
            Heading(Bilingual("按风险等级", "By risk class")), Table.frame(_pct_columns(f.by_class)),
            Heading(Bilingual("按推荐产品", "By recommended product")), Table.frame(_pct_columns(f.by_product)),
            Heading(Bilingual("决定结果的规则", "By the rule that decided")), Table.frame(_pct_columns(f.by_rule)))


def page(sim: Simulation) -> str:
    truth = (Bilingual("样本带有模拟器的真值：标为 truth 的坏账率与损失使用每个申请人（含被拒者）的真实 PD。",
                       "The book carries the simulator's truth: bad rates and losses labelled truth use every "
                       "applicant's true PD, rejected ones included.") if sim.candidate.has_truth else
             Bilingual("样本不含真值：只显示已放款贷款的实际表现。",
                       "The book carries no truth: only observed outcomes of booked loans are shown."))
    intro = Bilingual(
        f"{sim.candidate.n:,} 笔申请按完整决策流程（反欺诈模型、A 卡、政策、额度、利率）重放。实际坏账率仅来自已放款贷款。"
        f"{truth.zh}金额为一年的敞口 min(申请金额, 任一产品的最高额度) 按报价利率计；收益 = 利息 − 资金与运营成本 − "
        "PD × LGD × 敞口（百万元）。",
        f"{sim.candidate.n:,} applications replayed through the full decision (fraud model, A card, policy, "
        f"limits, rate). Observed bad rates are of booked loans only. {truth.en} Money is one year of the exposure "
        "min(amount asked, the most any product lends) at the quoted rate; margin = interest - funding and "
        "operating cost - PD x LGD x exposure (million CNY).")
    grid = _money_columns(_pct_columns(sim.cutoffs)).assign(cutoff=[f"{c:g}" for c in sim.cutoffs["cutoff"]])
    sections = [
        Section(Bilingual("审批漏斗", "Funnel"), _funnel_blocks(sim.funnel, sim.candidate.label, sim.review_per_1000)),
        Section(Bilingual("评分切分点", "Cut-offs on the A score"), (
            Text(Bilingual("每个切分点及以上、未被硬性拒绝规则或反欺诈拒绝拦下的申请。",
                           "Applications at or above each cut-off that no knock-out or fraud reject stops."),
                 note=True),
            Table.frame(grid),
            Figures((Figure(cutoff_plot(sim.cutoffs), "strategy curve"),
                     Figure(margin_plot(sim.cutoffs), "margin by cut-off"))))),
    ]
    if sim.baseline is not None and sim.baseline_funnel is not None and sim.swaps is not None:
        assert sim.baseline_review_per_1000 is not None
        sections.append(Section(Bilingual(f"对照基线：{sim.baseline.label}", f"Against the baseline: {sim.baseline.label}"), (
            Text(Bilingual("通过 = 直接批准或按预授信额度授信。换入：仅候选策略通过；换出：仅基线通过。",
                           "Accepted = approved or offered at once. Swap-ins: accepted by the candidate only; "
                           "swap-outs: by the baseline only."), note=True),
            Table.frame(_pct_columns(sim.swaps)),
            Figures((Figure(swap_plot(sim.swaps), "swap set"),)),
            Heading(Bilingual("基线漏斗", "The baseline's funnel")),
            *_funnel_blocks(sim.baseline_funnel, sim.baseline.label, sim.baseline_review_per_1000))))
    return render("strategy_report.html.j2",
                  title=Bilingual(f"策略实验室：{sim.candidate.label}", f"Strategy lab: {sim.candidate.label}"),
                  intro=(Text(intro, note=True),), sections=sections)


def write(sim: Simulation, out_dir: Path) -> tuple[Path, Path]:
    """``strategy_report.html`` and ``strategy.json`` in ``out_dir`` (written whole, then renamed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("strategy_report.html", page(sim)),
                       ("strategy.json", json.dumps(sim.to_dict(), ensure_ascii=False, indent=2))):
        target = out_dir / name
        partial = target.with_suffix(target.suffix + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
        written.append(target)
    return written[0], written[1]
