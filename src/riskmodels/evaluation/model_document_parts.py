"""Sections of the model document that need more than a table: binning with its plots, the
lending policy's cut-offs, and the limitations read off the run's own evidence."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from riskmodels.evaluation import _html, plots
from riskmodels.evaluation._bilingual import Label, frame, paragraph, section
from riskmodels.evaluation.metrics import psi_band
from riskmodels.registry.evidence import RunEvidence

SPLITS = ("train", "test", "oot")
ALPHA = 0.05  # the significance level the evaluation package tests at (evaluate_splits' default)


def binning_plot(table: pd.DataFrame, variable: str) -> bytes:
    """Share of rows per bin (bars) and its bad rate (line), from the scorecard table."""
    fig = Figure(figsize=(5.6, 3.4), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.arange(len(table))
    share = table["count"] / table["count"].sum()
    ax.bar(x, share, color="#90a4ae", label="share of rows")
    ax.set_xticks(x, [str(b)[:18] for b in table["bin"]], rotation=45, ha="right", fontsize="x-small")
    ax.set(ylabel="share of rows", title=f"{variable}: bins")
    right = ax.twinx()
    right.plot(x, table["event_rate"].fillna(0.0), "o-", color="#c62828", label="bad rate")
    right.set_ylabel("bad rate")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize="x-small", loc="upper left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def binning_section(ev: RunEvidence) -> str:
    card = ev.tables["model/scorecard_table.csv"]
    body = paragraph("Per selected characteristic: the bins optbinning found on the training rows (monotone "
                     "where the configuration asks for it), their counts, bad rates, WoE, IV and points, as logged "
                     "in <code>model/scorecard_table.csv</code>; every candidate's full binning table is in "
                     "<code>binning/*.csv</code>.",
                     "每个入选变量：optbinning 在训练样本上得到的分箱（按配置要求单调）及其样本数、坏样本率、WoE、IV "
                     "与分数；全部候选变量的分箱表见 binning/*.csv。", "note")
    for variable, rows in card.groupby("variable", sort=False):
        rows = rows.drop(columns="variable").reset_index(drop=True)
        png = binning_plot(rows[rows["count"] > 0], str(variable))
        body += (f"<h3>{_html.fmt(variable)} <span class='note'>IV {rows['iv'].sum():.4f}</span></h3>"
                 f"<div class='plots'>{plots.img_tag(png, f'binning of {variable}')}</div>" + frame(rows))
    return section(Label("Binning", "分箱"), body)


def policy_section(ev: RunEvidence) -> str:
    """The policy that turns this card's score into actions: the lending policy for the A card,
    the post-loan policy for the B and C cards."""
    kind = ev.tags.get("riskmodels.kind", "")
    if kind in ("behavior", "collection"):
        return _post_loan_section(ev, kind)
    return _lending_section(ev)


def _post_loan_section(ev: RunEvidence, kind: str) -> str:
    from riskmodels.policy.post_loan import load_post_loan_policy

    policy = load_post_loan_policy()
    pds = ev.tables["model/risk_classes.csv"].set_index("class")["pd"]
    classes = _html.table(["class 等级", "min score 最低分", "event probability calibrated by this run 本次校准事件概率"],
                          [[c.name, f"{c.min_score:g}", pds.get(c.name)] for c in policy.classes])
    if kind == "behavior":
        b = policy.behavior
        rows: list[list[object]] = [
            ["freeze 冻结", f"no account flow: {b.freeze.on_no_flow}; or days past due ≥ {b.freeze.min_dpd}"],
            ["reduce 压降", f"class in {', '.join(b.reduce.classes)} and worst DPD (3 months) ≥ "
                           f"{b.reduce.min_worst_dpd_3m}; limit cut by {b.limit_adjustment.cut_share:.0%}"],
            ["renew 续贷", f"within {b.renew.window_months} months of maturity, score ≥ {b.renew.min_score:g}, worst "
                          f"DPD (6 months) ≤ {b.renew.max_worst_dpd_6m}, inflow ratio ≥ {b.renew.min_inflow_ratio:g}"],
            ["raise limit 提额", f"class in {', '.join(b.limit_adjustment.raise_classes)} and inflow ratio ≥ "
                                f"{b.limit_adjustment.raise_min_inflow_ratio:g}: +{b.limit_adjustment.raise_share:.0%}, "
                                f"at most {b.limit_adjustment.max_limit:,.0f} CNY"]]
        rules = _html.table(["action 动作", "rule 规则"], rows)
    else:
        rows = [[bucket, f"{step.min_cure_prob:g}", step.treatment]
                for bucket, steps in policy.collection.treatments.items() for step in steps]
        rules = _html.table(["DPD bucket 逾期段", "min cure probability 最低回款概率", "treatment 催收手段"], rows)
    body = paragraph("Classes and actions of the default post-loan policy that read this card's score.",
                     "默认贷后政策中使用本评分卡分数的等级与动作。") + classes + rules
    return section(Label("Policy cut-offs", "政策切分点"), body)


def _lending_section(ev: RunEvidence) -> str:
    from riskmodels.policy import load_policy

    policy = load_policy()
    pds = ev.tables["model/risk_classes.csv"].set_index("class")["pd"]
    rows = [[c.name, f"{c.min_score:g}", pds.get(c.name), c.pd_override, f"{c.limit_cap:,.0f}", c.inflow_months,
             c.price_multiplier] for c in policy.classes]
    bands = policy.bands
    body = (paragraph(f"Decision bands of the default lending policy (version {_html.fmt(policy.version)}): approve "
                      f"from score {bands.approve_from:g}, reject below {bands.reject_below:g}, manual "
                      "review in between (exceptions send some high scores to a person and let some low ones "
                      "through).",
                      f"默认授信政策（版本 {policy.version}）的决策档位：{bands.approve_from:g} 分及以上批准，"
                      f"{bands.reject_below:g} 分以下拒绝，其间人工审核（例外规则会把部分高分送人工、放行部分低分）。")
            + _html.table(["class 等级", "min score 最低分", "PD calibrated by this run 本次校准 PD",
                           "PD override PD 覆盖值", "limit cap (CNY) 额度上限（元）", "months of inflow 流水月数",
                           "price multiplier 定价系数"], rows))
    return section(Label("Policy cut-offs", "政策切分点"), body)


def _failed(ev: RunEvidence, metric: str) -> list[str]:
    return [s for s in SPLITS if ev.metrics.get(f"{s}_{metric}", 0.0) > 0]


def limitations(ev: RunEvidence, max_vif: float | None) -> list[str]:
    """What a validator should know, each stated from a recorded number."""
    m, out = ev.metrics, []
    if "oot_auc_to_oracle" in m:
        out.append(f"Developed on simulated data: the OOT AUC is {m['oot_auc_to_oracle']:.1%} of the oracle's "
                   f"{m['oracle_oot_auc']:.4f} (the true PD on the same rows); a bank's data will differ.")
    for split in SPLITS:
        p = m.get(f"{split}_hl_pvalue")
        if p is not None and split != "train" and p < ALPHA:
            out.append(f"Hosmer-Lemeshow rejects the row-level PDs on {split} (p = {p:.4f}): recalibrate before "
                       "using the PD itself rather than the class PD.")
    for metric, test in (("jeffreys_failures", "Jeffreys"), ("binomial_failures", "binomial")):
        for split in _failed(ev, metric):
            out.append(f"{test} test: {int(m[f'{split}_{metric}'])} class(es) with an underestimated PD on {split}.")
    for split in SPLITS:
        if m.get(f"{split}_class_monotone", 1.0) < 1:
            out.append(f"Bad rate is not monotone across the risk classes on {split}.")
    psi = m.get("psi_train_oot")
    if psi is not None and psi_band(psi) != "green":
        out.append(f"Score PSI train → OOT is {psi:.4f} ({psi_band(psi)}): the population moved during development.")
    coefs = ev.tables["model/coefficients.csv"]
    weak = coefs[(coefs["variable"] != "intercept") & (coefs["p_value"] >= ALPHA)]
    if len(weak):
        out.append(f"{len(weak)} characteristic(s) kept with a Wald p-value of {ALPHA} or more: "
                   + ", ".join(f"{r.variable} (p = {r.p_value:.3f})" for r in weak.itertuples()) + ".")
    if max_vif is not None and (coefs["vif"].dropna() > max_vif).any():
        out.append(f"Some VIF exceed the configured maximum of {max_vif:g}.")
    for split in ("test", "oot"):
        p = m.get(f"{split}_auc_drop_pvalue")
        if p is not None and p < ALPHA:
            out.append(f"AUC falls significantly from train to {split} (DeLong p = {p:.4f}): some overfitting.")
    out.append(_development_sample(ev))
    return out


def _development_sample(ev: RunEvidence) -> str:
    """Which rows the card was developed on, as the run recorded it (reject inference for the A card)."""
    kind, p = ev.tags.get("riskmodels.kind", ""), ev.params
    if kind != "application":
        return "Development covers accounts with an observed outcome only."
    method, rejects = p.get("reject_inference.method", "none"), p.get("reject_inference.rejects")
    if method == "none" or rejects in (None, "0"):
        return ("Development covers booked applications with an observed outcome only (no reject inference); "
                "the run does not record how many applications were excluded as not booked.")
    return (f"Development adds {rejects} rejected applications of the development months through {method} reject "
            f"inference ({p.get('reject_inference.rows', '?')} weighted rows); their outcomes are inferred, never "
            "observed, so the card's behaviour on the rejected population cannot be validated on this data.")


def fmt_or_blank(value: float | None, digits: int = 4) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"
