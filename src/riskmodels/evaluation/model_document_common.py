"""Sections every model document shares, scorecard or LightGBM: purpose and data, the sample,
performance and calibration by split, stability. Each is read from the run's evidence only."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

from riskmodels.evaluation import _html
from riskmodels.evaluation._bilingual import Label, heading, paragraph, section, table
from riskmodels.evaluation.metrics import psi_band
from riskmodels.registry.evidence import RunEvidence

SPLITS = ("train", "test", "oot")
SPLIT_LABELS = {"train": "train 训练", "test": "test 测试", "oot": "oot 跨时间"}

PURPOSE = {
    "application": Label("Application scorecard (A card): ranks new small-business loan applications by their "
                         "probability of the bad event, and sets the risk class that drives the decision band, "
                         "the limit and the risk-based rate.",
                         "申请评分卡（A卡）：按违约概率对小微企业新贷款申请排序，并给出决定审批档位、额度与风险定价的风险等级。"),
    "behavior": Label("Behavioural scorecard (B card): ranks booked accounts each month for limit changes, "
                      "renewals and early warnings.",
                      "行为评分卡（B卡）：每月对存量账户排序，用于额度调整、续贷与预警。"),
    "collection": Label("Collection scorecard (C card): ranks delinquent accounts by their chance to cure.",
                        "催收评分卡（C卡）：按逾期账户的回款可能性排序。"),
    "fraud": Label("Application fraud model: LightGBM on the application's identity, device, velocity and "
                   "declared-versus-observed signals, monotone where the risk direction is known, Platt-"
                   "calibrated; its score and verdict (pass, review, reject) screen every application.",
                   "申请反欺诈模型：基于身份、设备、申请频次及申报与实际经营差异等信号的 LightGBM 模型，"
                   "风险方向已知的特征加单调约束，经 Platt 校准；其分数与结论（通过、人工复核、拒绝）筛查每一笔申请。"),
    "application_challenger": Label(
        "Challenger of the application scorecard: LightGBM on the A card's candidate characteristics and "
        "training rows, monotone where the risk direction is known, Platt-calibrated; it measures how much "
        "discrimination the scorecard leaves on the table.",
        "申请评分卡的挑战者模型：在A卡的候选变量与训练样本上拟合的 LightGBM 模型，风险方向已知的特征加单调约束，"
        "经 Platt 校准；用于衡量评分卡相对更灵活模型的区分能力差距。"),
}
# Which rows enter each kind's development sample (``training.samples``).
ENTRY = {
    "application": Label("Booked applications with an observed outcome enter.", "纳入已放款且已有表现结果的申请。"),
    "application_challenger": Label("Only booked applications with an observed outcome enter, as for the A card.",
                                    "与A卡相同，仅含已放款且已有表现结果的申请。"),
    "fraud": Label("Every application enters with its fraud label, known whether or not the loan was booked.",
                   "全部申请均纳入，欺诈标签无论是否放款均可知。"),
    "behavior": Label("Only rows with an observed outcome enter.", "仅含已有表现结果的样本。"),
}
PERFORMANCE = (("n", Label("rows", "样本数")), ("bad_rate", Label("bad rate", "坏样本率")),
               ("auc", Label("AUC", "")), ("auc_lower", Label("AUC 95% lower", "下限")),
               ("auc_upper", Label("AUC 95% upper", "上限")), ("gini", Label("Gini", "基尼系数")),
               ("ks", Label("KS", "")), ("oracle_{split}_auc", Label("oracle AUC", "真值 AUC")),
               ("auc_to_oracle", Label("AUC / oracle", "AUC 与真值之比")),
               ("auc_drop_pvalue", Label("AUC drop p (vs train)", "AUC 下降检验 p 值")))
CALIBRATION = (("hl_statistic", Label("Hosmer-Lemeshow statistic", "HL 统计量")),
               ("hl_pvalue", Label("Hosmer-Lemeshow p", "HL 检验 p 值")),
               ("jeffreys_failures", Label("Jeffreys failures", "Jeffreys 检验未通过数")),
               ("binomial_failures", Label("binomial failures", "二项检验未通过数")),
               ("class_monotone", Label("bad rate monotone by class", "各等级坏样本率单调")),
               ("herfindahl", Label("Herfindahl of classes", "等级集中度 (HHI)")))
_COUNTS = ("n", "jeffreys_failures", "binomial_failures")


def metric(ev: RunEvidence, split: str, key: str) -> float | None:
    name = key.format(split=split) if "{split}" in key else f"{split}_{key}"
    return ev.metrics.get(name)


def split_table(ev: RunEvidence, rows: tuple[tuple[str, Label], ...]) -> str:
    body: list[list[object]] = []
    for key, label in rows:
        values = [metric(ev, s, key) for s in SPLITS]
        if all(v is None for v in values):
            continue
        cells = [None if v is None else int(v) if key in _COUNTS else bool(v) if key == "class_monotone" else v
                 for v in values]
        body.append([label.text().strip(), *cells])
    return table(["", *(SPLIT_LABELS[s] for s in SPLITS)], body)


def purpose_section(ev: RunEvidence) -> str:
    p, v = ev.params, ev.version
    kind = ev.tags.get("riskmodels.kind", "")
    started = datetime.fromtimestamp(ev.start_time_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    target = f"{p.get('target')} = {p.get('event_value', '1')}" if "target" in p else None
    facts: list[list[object]] = [
        ["registered model 注册模型", v.name], ["version 版本", v.version],
        ["aliases 别名", ", ".join(v.aliases) or "none 无"], ["training run 训练运行", v.run_id],
        ["trained 训练时间", started], ["code commit 代码版本", ev.tags.get("git_commit")],
        ["target (bad event) 目标（坏事件）", target], ["calendar of the split 切分日期列", p.get("date_column")],
        ["data SHA-256 数据指纹", p.get("data.hash")]]
    purpose = PURPOSE.get(kind, Label(kind, kind))
    return section(Label("Purpose and data", "用途与数据"),
                   paragraph(html.escape(purpose.en), purpose.zh) + table(["item 项目", "value 值"], facts))


def sample_section(ev: RunEvidence) -> str:
    p = ev.params
    rows: list[list[object]] = [[SPLIT_LABELS[s], int(p[f"rows.{s}"])] for s in SPLITS if f"rows.{s}" in p]
    months, share, seed = (html.escape(p.get(k, "?")) for k in ("split.oot_months", "split.test_share", "split.seed"))
    entry = ENTRY.get(ev.tags.get("riskmodels.kind", ""), ENTRY["behavior"])
    if p.get("reject_inference.rejects", "0") != "0":
        entry = Label(f"{entry.en} The fit adds {p['reject_inference.rejects']} rejects through reject inference "
                      "(see Limitations).", f"{entry.zh}拟合时通过拒绝推断补入 {p['reject_inference.rejects']} 笔被拒申请（见局限性）。")
    if "split.oot_months" not in p:
        text = paragraph(f"The split's settings are not recorded in this run. {html.escape(entry.en)}",
                         f"本次训练未记录样本切分设置。{entry.zh}")
    else:
        text = paragraph(f"Out-of-time sample: the last {months} months; test: a random {share} share of the "
                         f"earlier months (seed {seed}); train: the rest. {html.escape(entry.en)} The data passed "
                         "its contract checks first:",
                         f"跨时间样本：最近 {months} 个月；测试样本：此前各月中随机抽取的 {share} 比例（种子 {seed}）；"
                         f"其余为训练样本。{entry.zh}数据已先通过数据契约检查：")
    checks: list[list[object]] = []
    for key, text_json in sorted(ev.texts.items()):
        if key.startswith("quality/"):
            stats = json.loads(text_json).get("statistics", {})
            checks.append([Path(key).stem.removeprefix("quality_"), stats.get("evaluated_expectations"),
                           stats.get("successful_expectations"), stats.get("unsuccessful_expectations")])
    if not checks:
        text += paragraph("This run logged no data-quality report.", "本次训练未记录数据质量报告。", "note")
    return section(Label("Sample and exclusions", "样本与排除"),
                   text + (table(["table 数据表", "checks 检查项", "passed 通过", "failed 未通过"], checks)
                           if checks else "") + table(["sample 样本", "rows 行数"], rows))


def performance_section(ev: RunEvidence) -> str:
    return section(Label("Performance on train, test and out-of-time", "训练、测试与跨时间样本上的表现"),
                   split_table(ev, PERFORMANCE))


def calibration_metrics(ev: RunEvidence) -> str:
    """The calibration tests the run recorded, by split (Hosmer-Lemeshow, Jeffreys, binomial)."""
    note = paragraph("Hosmer-Lemeshow over PD deciles (train: groups − 2 dof; test and OOT as independent "
                     "samples); Jeffreys and exact binomial tests per class, one-sided.",
                     "Hosmer-Lemeshow 检验按 PD 十分位分组（训练样本自由度为组数减 2；测试与跨时间样本按独立样本）；"
                     "Jeffreys 与精确二项检验按等级单侧进行。", "note")
    return note + split_table(ev, CALIBRATION)


def stability_section(ev: RunEvidence) -> str:
    rows: list[list[object]] = []
    for s in ("test", "oot"):
        if f"psi_train_{s}" in ev.metrics:
            value = ev.metrics[f"psi_train_{s}"]
            rows.append([f"train → {s}", value, _html.badge(psi_band(value), psi_band(value))])
    gates = json.loads(ev.texts["gates.json"]) if "gates.json" in ev.texts else {}
    gate_rows: list[list[object]] = [[k, json.dumps(v)] for k, v in gates.items()]
    body = (paragraph("Score PSI on the training sample's score deciles.", "基于训练样本分数十分位的分数 PSI。", "note")
            + table(["samples 样本", "PSI", "band 区间"], rows)
            + heading(Label("Promotion gates of this run", "本次训练的晋升门槛"))
            + table(["gate 门槛", "value 值"], gate_rows))
    return section(Label("Stability", "稳定性"), body)
