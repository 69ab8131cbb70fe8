"""Sections of the model document that need more than a table: binning with its plots, the
lending policy's cut-offs, and the limitations read off the run's own evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
from markupsafe import Markup

from riskmodels.evaluation.metrics import psi_band
from riskmodels.evaluation.model_document_common import frame, paragraph
from riskmodels.registry.evidence import RunEvidence
from riskmodels.reporting import Bilingual, Block, Figure, Figures, Heading, Section, Table, display, style

SPLITS = ("train", "test", "oot")
ALPHA = 0.05  # the significance level the evaluation package tests at (evaluate_splits' default)
POLICY = Bilingual("政策切分点", "Policy cut-offs")


@style.styled
def binning_plot(table: pd.DataFrame, variable: str) -> bytes:
    """Share of rows per bin (bars) and its bad rate (line), from the scorecard table."""
    fig = style.new_figure((5.6, 3.4))
    ax = fig.add_subplot()
    x = np.arange(len(table))
    share = table["count"] / table["count"].sum()
    ax.bar(x, share, color=style.LIGHT, label="share of rows")
    ax.set_xticks(x, [str(b)[:18] for b in table["bin"]], rotation=45, ha="right", fontsize="x-small")
    ax.set(ylabel="share of rows", title=style.title(f"{variable}：分箱", f"{variable}: bins"))
    right = ax.twinx()
    right.plot(x, table["event_rate"].fillna(0.0), "o-", color=style.BAD, label="bad rate")
    right.set_ylabel("bad rate")
    right.grid(False)  # one grid: the left axis'
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize="x-small", loc="upper left")
    return style.png_bytes(fig)


def binning_section(ev: RunEvidence) -> Section:
    card = ev.tables["model/scorecard_table.csv"]
    body: list[Block] = [paragraph(
        Markup("Per selected characteristic: the bins optbinning found on the training rows (monotone where the "
               "configuration asks for it), their counts, bad rates, WoE, IV and points, as logged in "
               "<code>model/scorecard_table.csv</code>; every candidate's full binning table is in "
               "<code>binning/*.csv</code>."),
        "每个入选变量：optbinning 在训练样本上得到的分箱（按配置要求单调）及其样本数、坏样本率、WoE、IV "
        "与分数；全部候选变量的分箱表见 binning/*.csv。", note=True)]
    inferred = int(float(ev.params.get("reject_inference.rows", 0) or 0))
    if inferred:
        body.append(paragraph(
            f"The counts are weighted: the booked training rows and {inferred:,} rows inferred for rejected "
            "applicants by reject inference, each counted with its weight (fuzzy: a reject is a bad row of "
            "weight p and a good row of weight 1 − p). They are not the booked rows' counts.",
            f"样本数为加权数：入账训练样本加上拒绝推断为被拒申请生成的 {inferred:,} 行，每行按其权重计数"
            "（模糊法：一笔被拒申请计为权重 p 的坏样本和权重 1 − p 的好样本），并非入账样本的行数。", note=True))
    for variable, rows in card.groupby("variable", sort=False):
        rows = rows.drop(columns="variable").reset_index(drop=True)
        png = binning_plot(rows[rows["count"] > 0], str(variable))
        body += [Heading(display(variable), aside=f"IV {rows['iv'].sum():.4f}"),
                 Figures((Figure(png, f"binning of {variable}"),)), frame(rows)]
    return Section(Bilingual("分箱", "Binning"), tuple(body))


def policy_section(ev: RunEvidence) -> Section:
    """The policy that turns this card's score into actions: the lending policy for the A card,
    the post-loan policy for the B and C cards."""
    kind = ev.tags.get("riskmodels.kind", "")
    if kind in ("behavior", "collection"):
        return _post_loan_section(ev, kind)
    return _lending_section(ev)


def _post_loan_section(ev: RunEvidence, kind: str) -> Section:
    from riskmodels.policy.post_loan import load_post_loan_policy

    policy = load_post_loan_policy()
    pds = ev.tables["model/risk_classes.csv"].set_index("class")["pd"]
    classes = Table.of(["class 等级", "min score 最低分", "event probability calibrated by this run 本次校准事件概率"],
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
        rules = Table.of(["action 动作", "rule 规则"], rows)
    else:
        rows = [[bucket, f"{step.min_cure_prob:g}", step.treatment]
                for bucket, steps in policy.collection.treatments.items() for step in steps]
        rules = Table.of(["DPD bucket 逾期段", "min cure probability 最低回款概率", "treatment 催收手段"], rows)
    text = paragraph("Classes and actions of the default post-loan policy that read this card's score.",
                     "默认贷后政策中使用本评分卡分数的等级与动作。")
    return Section(POLICY, (text, classes, rules))


def _lending_section(ev: RunEvidence) -> Section:
    from riskmodels.policy import load_policy

    policy = load_policy()
    pds = ev.tables["model/risk_classes.csv"].set_index("class")["pd"]
    rows = [[c.name, f"{c.min_score:g}", pds.get(c.name), c.pd_override, f"{c.limit_cap:,.0f}", c.inflow_months,
             c.price_multiplier] for c in policy.classes]
    bands = policy.bands
    text = paragraph(f"Decision bands of the default lending policy (version {display(policy.version)}): approve "
                     f"from score {bands.approve_from:g}, reject below {bands.reject_below:g}, manual "
                     "review in between (exceptions send some high scores to a person and let some low ones "
                     "through).",
                     f"默认授信政策（版本 {policy.version}）的决策档位：{bands.approve_from:g} 分及以上批准，"
                     f"{bands.reject_below:g} 分以下拒绝，其间人工审核（例外规则会把部分高分送人工、放行部分低分）。")
    return Section(POLICY, (text, Table.of(["class 等级", "min score 最低分", "PD calibrated by this run 本次校准 PD",
                                            "PD override PD 覆盖值", "limit cap (CNY) 额度上限（元）",
                                            "months of inflow 流水月数", "price multiplier 定价系数"], rows)))


def _failed(ev: RunEvidence, metric: str) -> list[str]:
    return [s for s in SPLITS if ev.metrics.get(f"{s}_{metric}", 0.0) > 0]


def limitations(ev: RunEvidence, max_vif: float | None) -> list[Bilingual]:
    """What a validator should know, each stated from a recorded number."""
    m, out = ev.metrics, []
    if "oot_auc_to_oracle" in m:
        out.append(Bilingual(f"基于模拟数据开发：跨时间样本 AUC 为真值 AUC（{m['oracle_oot_auc']:.4f}，同一批样本上的真实 PD）的 "
                             f"{m['oot_auc_to_oracle']:.1%}；银行真实数据会有差异。",
                             f"Developed on simulated data: the OOT AUC is {m['oot_auc_to_oracle']:.1%} of the oracle's "
                             f"{m['oracle_oot_auc']:.4f} (the true PD on the same rows); a bank's data will differ."))
    for split in SPLITS:
        p = m.get(f"{split}_hl_pvalue")
        if p is not None and split != "train" and p < ALPHA:
            out.append(Bilingual(f"Hosmer-Lemeshow 检验在 {split} 样本上拒绝逐行 PD（p = {p:.4f}）：直接使用 PD 本身"
                                 "（而非等级 PD）前需重新校准。",
                                 f"Hosmer-Lemeshow rejects the row-level PDs on {split} (p = {p:.4f}): recalibrate "
                                 "before using the PD itself rather than the class PD."))
    for metric, test, test_zh in (("jeffreys_failures", "Jeffreys", "Jeffreys"), ("binomial_failures", "binomial", "二项")):
        for split in _failed(ev, metric):
            count = int(m[f"{split}_{metric}"])
            out.append(Bilingual(f"{test_zh}检验：{split} 样本上有 {count} 个等级的 PD 被低估。",
                                 f"{test} test: {count} class(es) with an underestimated PD on {split}."))
    for split in SPLITS:
        if m.get(f"{split}_class_monotone", 1.0) < 1:
            out.append(Bilingual(f"{split} 样本上各风险等级的坏样本率不单调。",
                                 f"Bad rate is not monotone across the risk classes on {split}."))
    psi = m.get("psi_train_oot")
    if psi is not None and psi_band(psi) != "green":
        out.append(Bilingual(f"训练到跨时间样本的分数 PSI 为 {psi:.4f}（{psi_band(psi)}）：开发期间客群已发生变化。",
                             f"Score PSI train → OOT is {psi:.4f} ({psi_band(psi)}): the population moved during "
                             "development."))
    coefs = ev.tables["model/coefficients.csv"]
    weak = coefs[(coefs["variable"] != "intercept") & (coefs["p_value"] >= ALPHA)]
    if len(weak):
        listed = ", ".join(f"{r.variable} (p = {r.p_value:.3f})" for r in weak.itertuples())
        out.append(Bilingual(f"{len(weak)} 个保留变量的 Wald 检验 p 值不低于 {ALPHA}：{listed}。",
                             f"{len(weak)} characteristic(s) kept with a Wald p-value of {ALPHA} or more: {listed}."))
    if max_vif is not None and (coefs["vif"].dropna() > max_vif).any():
        out.append(Bilingual(f"部分 VIF 超过配置的上限 {max_vif:g}。",
                             f"Some VIF exceed the configured maximum of {max_vif:g}."))
    for split in ("test", "oot"):
        p = m.get(f"{split}_auc_drop_pvalue")
        if p is not None and p < ALPHA:
            out.append(Bilingual(f"AUC 从训练样本到 {split} 样本显著下降（DeLong p = {p:.4f}）：存在一定过拟合。",
                                 f"AUC falls significantly from train to {split} (DeLong p = {p:.4f}): some "
                                 "overfitting."))
    out.append(_development_sample(ev))
    return out


def _development_sample(ev: RunEvidence) -> Bilingual:
    """Which rows the card was developed on, as the run recorded it (reject inference for the A card)."""
    kind, p = ev.tags.get("riskmodels.kind", ""), ev.params
    if kind != "application":
        return Bilingual("开发样本仅含已有表现结果的账户。", "Development covers accounts with an observed outcome only.")
    method, rejects = p.get("reject_inference.method", "none"), p.get("reject_inference.rejects")
    if method == "none" or rejects in (None, "0"):
        return Bilingual("开发样本仅含已放款且已有表现结果的申请（未做拒绝推断）；本次训练未记录因未放款而排除的申请数。",
                         "Development covers booked applications with an observed outcome only (no reject "
                         "inference); the run does not record how many applications were excluded as not booked.")
    rows = p.get("reject_inference.rows", "?")
    return Bilingual(f"开发样本通过 {method} 拒绝推断补入开发月份中的 {rejects} 笔被拒申请（加权后 {rows} 行）；"
                     "其表现为推断所得、从未观察到，因此评分卡在被拒人群上的表现无法用本数据验证。",
                     f"Development adds {rejects} rejected applications of the development months through {method} "
                     f"reject inference ({rows} weighted rows); their outcomes are inferred, never observed, so the "
                     "card's behaviour on the rejected population cannot be validated on this data.")

