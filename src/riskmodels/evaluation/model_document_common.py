"""Sections every model document shares, scorecard or LightGBM: purpose and data, the sample,
performance and calibration by split, stability. Each is read from the run's evidence only, and
returned as ``riskmodels.reporting`` blocks the template ``model_document.html.j2`` lays out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from riskmodels.evaluation.metrics import psi_band
from riskmodels.registry.evidence import RunEvidence
from riskmodels.registry.gates import VERDICT_ARTIFACT
from riskmodels.reporting import Badge, Bilingual, Block, Heading, Label, Section, Table, Text

SPLITS = ("train", "test", "oot")
SPLIT_LABELS = {"train": "train 训练", "test": "test 测试", "oot": "oot 跨时间"}

PURPOSE = {
    "application": Bilingual(
        "申请评分卡（A卡）：按违约概率对小微企业新贷款申请排序，并给出决定审批档位、额度与风险定价的风险等级。",
        "Application scorecard (A card): ranks new small-business loan applications by their probability of the "
        "bad event, and sets the risk class that drives the decision band, the limit and the risk-based rate."),
    "behavior": Bilingual("行为评分卡（B卡）：每月对存量账户排序，用于额度调整、续贷与预警。",
                          "Behavioural scorecard (B card): ranks booked accounts each month for limit changes, "
                          "renewals and early warnings."),
    "collection": Bilingual("催收评分卡（C卡）：按逾期账户的回款可能性排序。",
                            "Collection scorecard (C card): ranks delinquent accounts by their chance to cure."),
    "fraud": Bilingual(
        "申请反欺诈模型：基于身份、设备、申请频次及申报与实际经营差异等信号的 LightGBM 模型，"
        "风险方向已知的特征加单调约束，经 Platt 校准；其分数与结论（通过、人工复核、拒绝）筛查每一笔申请。",
        "Application fraud model: LightGBM on the application's identity, device, velocity and "
        "declared-versus-observed signals, monotone where the risk direction is known, Platt-calibrated; its "
        "score and verdict (pass, review, reject) screen every application."),
    "application_challenger": Bilingual(
        "申请评分卡的挑战者模型：在A卡的候选变量与训练样本上拟合的 LightGBM 模型，风险方向已知的特征加单调约束，"
        "经 Platt 校准；用于衡量评分卡相对更灵活模型的区分能力差距。",
        "Challenger of the application scorecard: LightGBM on the A card's candidate characteristics and "
        "training rows, monotone where the risk direction is known, Platt-calibrated; it measures how much "
        "discrimination the scorecard leaves on the table."),
}
# Which rows enter each kind's development sample (``training.samples``).
ENTRY = {
    "application": Bilingual("纳入已放款且已有表现结果的申请。", "Booked applications with an observed outcome enter."),
    "application_challenger": Bilingual("与A卡相同，仅含已放款且已有表现结果的申请。",
                                        "Only booked applications with an observed outcome enter, as for the A card."),
    "fraud": Bilingual("全部申请均纳入，欺诈标签无论是否放款均可知。",
                       "Every application enters with its fraud label, known whether or not the loan was booked."),
    "behavior": Bilingual("仅含已有表现结果的样本。", "Only rows with an observed outcome enter."),
}
PERFORMANCE = (("n", Bilingual("样本数", "rows")), ("bad_rate", Bilingual("坏样本率", "bad rate")),
               ("auc", Bilingual("", "AUC")), ("auc_lower", Bilingual("下限", "AUC 95% lower")),
               ("auc_upper", Bilingual("上限", "AUC 95% upper")), ("gini", Bilingual("基尼系数", "Gini")),
               ("ks", Bilingual("", "KS")), ("oracle_{split}_auc", Bilingual("真值 AUC", "oracle AUC")),
               ("auc_to_oracle", Bilingual("AUC 与真值之比", "AUC / oracle")),
               ("auc_drop_pvalue", Bilingual("AUC 下降检验 p 值", "AUC drop p (vs train)")))
CALIBRATION = (("calibration_rows", Bilingual("检验计数的行数（每个账户一行）", "rows the tests counted (one per account)")),
               ("hl_statistic", Bilingual("HL 统计量", "Hosmer-Lemeshow statistic")),
               ("hl_pvalue", Bilingual("HL 检验 p 值", "Hosmer-Lemeshow p")),
               ("jeffreys_failures", Bilingual("Jeffreys 检验未通过数", "Jeffreys failures")),
               ("binomial_failures", Bilingual("二项检验未通过数", "binomial failures")),
               ("class_monotone", Bilingual("各等级坏样本率单调（无显著倒挂，Fisher p < 0.05）",
                                             "bad rate monotone by class (no significant reversal, Fisher p < 0.05)")),
               ("herfindahl", Bilingual("等级集中度 (HHI)", "Herfindahl of classes")))
_COUNTS = ("n", "calibration_rows", "jeffreys_failures", "binomial_failures")

# Chinese names of the columns of the runs' CSV artefacts; a column not listed keeps its own name.
COLUMNS = {
    "variable": "变量", "iv": "IV", "status": "状态", "reason": "原因", "stage": "阶段", "coef": "系数",
    "coef_unpenalised": "未惩罚系数", "std_err": "标准误", "z": "z 值", "p_value": "p 值", "vif": "VIF",
    "bin": "分箱", "count": "样本数", "event_rate": "坏样本率", "woe": "WoE", "points": "分数",
    "points_fitted": "拟合分数", "class": "等级", "min_score": "最低分", "pd": "PD", "pd_low": "PD 下限",
    "pd_high": "PD 上限",
}


def column(name: str) -> Label:
    """A CSV column's header: its own name, and its Chinese name when it has one."""
    zh = COLUMNS.get(name)
    return name if zh is None or zh == name else Bilingual(zh, name)


def frame(df: pd.DataFrame, digits: int = 4) -> Table:
    """A run's table as logged, its column names in both languages."""
    return Table.frame(df, digits, header=column)


def paragraph(en: str, zh: str, note: bool = False) -> Text:
    """The English paragraph (plain text, or ``Markup`` built with ``Markup.format``) and its Chinese."""
    return Text(Bilingual(zh, en), note)


def not_recorded(what: Bilingual, artefact: str) -> Text:
    """The line an older run gets for evidence it did not log: not a crash, not a blank."""
    return Text(Bilingual(f"本次训练未记录：{what.zh}（{artefact}）。重新训练即可记录。",
                          Markup("<b>Not recorded in this run</b>: {} (<code>{}</code>). Retrain to record it.")
                          .format(what.en, artefact)), note=True)


def metric(ev: RunEvidence, split: str, key: str) -> float | None:
    name = key.format(split=split) if "{split}" in key else f"{split}_{key}"
    return ev.metrics.get(name)


def split_table(ev: RunEvidence, rows: tuple[tuple[str, Bilingual], ...]) -> Table:
    body: list[list[object]] = []
    for key, label in rows:
        values = [metric(ev, s, key) for s in SPLITS]
        if all(v is None for v in values):
            continue
        cells = [None if v is None else int(v) if key in _COUNTS else bool(v) if key == "class_monotone" else v
                 for v in values]
        body.append([label, *cells])
    return Table.of(["", *(SPLIT_LABELS[s] for s in SPLITS)], body)


def purpose_section(ev: RunEvidence) -> Section:
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
    purpose = PURPOSE.get(kind, Bilingual(kind, kind))
    return Section(Bilingual("用途与数据", "Purpose and data"),
                   (Text(purpose), Table.of(["item 项目", "value 值"], facts)))


def sample_section(ev: RunEvidence) -> Section:
    p = ev.params
    rows: list[list[object]] = [[SPLIT_LABELS[s], int(p[f"rows.{s}"])] for s in SPLITS if f"rows.{s}" in p]
    months, share, seed = (p.get(k, "?") for k in ("split.oot_months", "split.test_share", "split.seed"))
    entry = ENTRY.get(ev.tags.get("riskmodels.kind", ""), ENTRY["behavior"])
    if p.get("reject_inference.rejects", "0") != "0":
        entry = Bilingual(f"{entry.zh}拟合时通过拒绝推断补入 {p['reject_inference.rejects']} 笔被拒申请（见局限性）。",
                          f"{entry.en} The fit adds {p['reject_inference.rejects']} rejects through reject inference "
                          "(see Limitations).")
    body: list[Block] = []
    if "split.oot_months" not in p:
        body.append(paragraph(f"The split's settings are not recorded in this run. {entry.en}",
                              f"本次训练未记录样本切分设置。{entry.zh}"))
    else:
        body.append(paragraph(f"Out-of-time sample: the last {months} months; test: a random {share} share of the "
                              f"earlier months (seed {seed}); train: the rest. {entry.en} The data passed its "
                              "contract checks first:",
                              f"跨时间样本：最近 {months} 个月；测试样本：此前各月中随机抽取的 {share} 比例（种子 {seed}）；"
                              f"其余为训练样本。{entry.zh}数据已先通过数据契约检查："))
    checks: list[list[object]] = []
    for key, text_json in sorted(ev.texts.items()):
        if key.startswith("quality/"):
            stats = json.loads(text_json).get("statistics", {})
            checks.append([Path(key).stem.removeprefix("quality_"), stats.get("evaluated_expectations"),
                           stats.get("successful_expectations"), stats.get("unsuccessful_expectations")])
    if checks:
        body.append(Table.of(["table 数据表", "checks 检查项", "passed 通过", "failed 未通过"], checks))
    else:
        body.append(paragraph("This run logged no data-quality report.", "本次训练未记录数据质量报告。", note=True))
    body.append(Table.of(["sample 样本", "rows 行数"], rows))
    return Section(Bilingual("样本与排除", "Sample and exclusions"), tuple(body))


def performance_section(ev: RunEvidence) -> Section:
    return Section(Bilingual("训练、测试与跨时间样本上的表现", "Performance on train, test and out-of-time"),
                   (split_table(ev, PERFORMANCE),))


def calibration_metrics(ev: RunEvidence) -> tuple[Block, ...]:
    """The calibration tests the run recorded, by split (Hosmer-Lemeshow, Jeffreys, binomial)."""
    note = paragraph("Hosmer-Lemeshow over PD deciles (train: groups − 2 dof; test and OOT as independent "
                     "samples); Jeffreys and exact binomial tests per class, one-sided. Where an account has several "
                     "rows (a B card's monthly snapshots, a C card's cases), these tests and the class order count "
                     "each account's earliest row only (the rows counted are shown).",
                     "Hosmer-Lemeshow 检验按 PD 十分位分组（训练样本自由度为组数减 2；测试与跨时间样本按独立样本）；"
                     "Jeffreys 与精确二项检验按等级单侧进行。一个账户有多行时（B 卡的月度快照、C 卡的催收案件），"
                     "这些检验与等级单调性只计每个账户最早的一行（表中列出计数行数）。", note=True)
    return note, split_table(ev, CALIBRATION)


def stability_section(ev: RunEvidence) -> Section:
    rows: list[list[object]] = []
    for s in ("test", "oot"):
        if f"psi_train_{s}" in ev.metrics:
            value = ev.metrics[f"psi_train_{s}"]
            rows.append([f"train → {s}", value, Badge(psi_band(value), psi_band(value))])
    gates = json.loads(ev.texts["gates.json"]) if "gates.json" in ev.texts else {}
    gate_rows: list[list[object]] = [[k, json.dumps(v)] for k, v in gates.items()]
    return Section(Bilingual("稳定性", "Stability"), (
        paragraph("Score PSI on the training sample's score deciles.", "基于训练样本分数十分位的分数 PSI。", note=True),
        Table.of(["samples 样本", "PSI", "band 区间"], rows),
        Heading(Bilingual("本次训练的晋升门槛", "Promotion gates of this run")),
        Table.of(["gate 门槛", "value 值"], gate_rows),
        *verdict_blocks(ev)))


def verdict_blocks(ev: RunEvidence) -> tuple[Block, ...]:
    """Each gate's verdict on this run, with the figure it judged (the Hosmer-Lemeshow gate's
    shape p-value where the gates relevel it), as the run recorded them."""
    if VERDICT_ARTIFACT not in ev.texts:
        return ()
    results = json.loads(ev.texts[VERDICT_ARTIFACT])["results"]
    return (Heading(Bilingual("本次训练的门槛结论", "Gate verdicts of this run")),
            Table.of(["gate 门槛", "verdict 结论", "what was judged 判定依据"],
                     [[r["gate"], Badge.verdict(bool(r["passed"])), r["detail"]] for r in results]))
