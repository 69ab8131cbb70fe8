"""The model document a validator reads: one HTML page, in Chinese and English, built only from
what the training run recorded in MLflow (params, metrics, artefacts) and the lending policy it
feeds. Every registered model has one: the A, B and C scorecards, and the LightGBM models (the
fraud model, the A-card challenger; ``gbm_document``).

    html = model_document(registry.load_run_evidence("sme-fraud", "3"))

No number on the page is typed here: each is read from the run (or from the policy file), so the
document of version N always states what version N's run measured.
"""

from __future__ import annotations

import json
from pathlib import Path

from markupsafe import Markup

from riskmodels.evaluation import gbm_document
from riskmodels.evaluation.model_document_common import (
    SPLIT_LABELS,
    SPLITS,
    calibration_metrics,
    frame,
    paragraph,
    performance_section,
    purpose_section,
    sample_section,
    stability_section,
)
from riskmodels.evaluation.model_document_parts import binning_section, limitations, policy_section
from riskmodels.registry.evidence import RunEvidence
from riskmodels.reporting import Bilingual, BulletList, Section, Table, Text, display, render

GBM_KINDS = ("fraud", "application_challenger")  # the runs' ``riskmodels.kind`` tag
TEMPLATE = "model_document.html.j2"


def _selection(ev: RunEvidence) -> Section:
    selection = ev.tables["selection/variable_selection.csv"]
    p = ev.params
    n, kept = len(selection), int((selection["status"] == "selected").sum())
    iv, corr, vif, method, metric, most, p_max = (p.get(f"scorecard.{k}", "?") for k in (
        "iv_min", "max_corr", "max_vif", "selection_method", "selection_metric", "max_features", "p_max"))
    # Every stage a characteristic can be dropped at, in the order the table's "stage" names them.
    text = paragraph(f"{n} candidates; {kept} selected. Rules, in order: a binning with more than one bin; IV at "
                     f"least {iv}; correlation at most {corr} (the higher IV stays); VIF at most {vif}; the "
                     f"{method} search on the held-out {metric}, at most {most} characteristics; then, one at a "
                     f"time, a coefficient sign consistent with WoE and a Wald p-value at most {p_max}.",
                     f"候选变量 {n} 个，入选 {kept} 个。规则依次为：分箱多于一箱；IV 不低于 {iv}；相关系数不超过 {corr}"
                     f"（保留 IV 较高者）；VIF 不超过 {vif}；按留出样本 {metric} 的 {method} 逐步筛选，最多 {most} 个变量；"
                     f"最后逐个检查系数符号与 WoE 一致、Wald 检验 p 值不超过 {p_max}。")
    return Section(Bilingual("变量筛选", "Variable selection"), (text, frame(selection.fillna(""))))


def _coefficients(ev: RunEvidence) -> Section:
    return Section(Bilingual("回归系数（Wald 检验、VIF）", "Coefficients (Wald tests, VIF)"),
                   (frame(ev.tables["model/coefficients.csv"]),))


_BASIS = {"through_the_cycle": ("through the cycle: the level is the long-run average default rate of every "
                                "month with an observed outcome, the out-of-time months included (so the "
                                "out-of-time calibration below is not out of sample for the level; the "
                                "discrimination is)", "跨周期：水平取所有已有表现月份（含跨时间样本月份）的长期平均违约率"),
          "point_in_time": ("point in time: the level is the default rate of the most recent months",
                            "时点：水平取最近几个月的违约率")}


def _calibration_choice(cal: dict[str, object] | None) -> Text:
    """The PD calibration the run chose (method, point in time or through the cycle, line)."""
    if not cal or cal.get("method") == "none":
        return paragraph(Markup("<b>PD calibration: none.</b> PDs are the logistic fit's own, read from the "
                                "unclipped points."), "PD 校准：无。PD 直接取自逻辑回归，由未截断的分数换算。")
    en, zh = _BASIS.get(str(cal["basis"]), (str(cal["basis"]), str(cal["basis"])))
    f = display
    return paragraph(
        Markup("<b>PD calibration: {}, {}.</b> Calibrated log-odds of bad = {} + {} × the fit's log-odds. Slope "
               "fitted on {} ({} rows, {} bads); level on {} (default rate {}); the out-of-time months are never "
               "used. The line is baked into every bin's points, so the points sum to the calibrated score and "
               "every PD is read from the unclipped sum (<code>model/calibration.json</code>, "
               "<code>model/calibration_table.csv</code>).").format(
            f(cal["method"]), en, f(cal["intercept"]), f(cal["slope"]), f(cal["slope_sample"]), f(cal["slope_rows"]),
            f(cal["slope_bads"]), f(cal["level_sample"]), f(cal["level_default_rate"])),
        f"PD 校准：{cal['method']}，{zh}。校准后坏事件对数几率 = {f(cal['intercept'])} + {f(cal['slope'])} × "
        "拟合的对数几率；跨时间样本月份从不参与斜率拟合。校准线已并入每个分箱的分数，所有 PD 均由未截断的总分换算。")


def _heterogeneity(cal: dict[str, object] | None) -> Text:
    """The calibration's heterogeneity sigma and its likelihood-ratio statistic (``scorecard.calibration``):
    0 when the run fitted none or kept the line."""
    sigma = cal.get("heterogeneity") if cal else None
    lr = cal.get("heterogeneity_lr") if cal else None
    if not sigma:  # absent (an older run, or no calibration) or 0: the PD is the line's logistic
        return paragraph(Markup("<b>Heterogeneity: 0 (the line).</b> The PD is the logistic of the calibrated "
                                "line itself: no spread of unseen risk among applicants with the same score was "
                                "fitted or kept{}.").format(
                                    "" if lr is None else Markup(" (likelihood-ratio statistic {})").format(display(lr))),
                         "异质性：0（直线）。PD 即校准线的逻辑函数值：未拟合或未保留同分申请人之间评分看不到的风险差异"
                         + ("" if lr is None else f"（似然比统计量 {display(lr)}）") + "。")
    return paragraph(
        Markup("<b>Heterogeneity: sigma {}</b> (likelihood-ratio statistic {} against sigma = 0). Applicants with "
               "the same score differ by risk the score cannot see: the true log-odds is the line plus sigma × Z, "
               "Z standard normal, and the PD is its average (logistic-normal), which bends the line so the "
               "safest scores' PDs fall faster than the line lets them. Sigma is kept only when the test "
               "rejects sigma = 0.").format(display(sigma), "not recorded" if lr is None else display(lr)),
        f"异质性：sigma {display(sigma)}（相对 sigma = 0 的似然比统计量 "
        f"{'未记录' if lr is None else display(lr)}）。同分申请人之间仍有评分看不到的风险差异：真实对数几率为校准线加 "
        "sigma × Z（Z 为标准正态），PD 取其平均（逻辑-正态），使校准线弯曲，最安全分数段的 PD 下降得比直线更快。"
        "仅当检验拒绝 sigma = 0 时才保留 sigma。")


def _scaling(ev: RunEvidence) -> Section:
    spec = json.loads(ev.texts["model/compiled_spec.json"])
    scale = spec["model"]["scale"]
    f = display
    text = paragraph(
        f"Points = offset + factor × ln(odds of good): {f(scale['base_points'])} points at odds "
        f"{f(scale['base_odds'])}:1, {f(scale['pdo'])} points to double the odds, clipped to "
        f"{f(scale['min_score'])}–{f(scale['max_score'])}. Intercept (log-odds of bad) "
        f"{f(spec['model']['intercept'])}, spread evenly over the characteristics' points.",
        f"分数 = 偏移量 + 因子 × ln(好坏比)：好坏比 {f(scale['base_odds'])}:1 时为 {f(scale['base_points'])} 分，"
        f"好坏比翻倍加 {f(scale['pdo'])} 分，截断于 {f(scale['min_score'])}–{f(scale['max_score'])}。")
    return Section(Bilingual("刻度与风险等级", "Scaling and risk classes"),
                   (text, _calibration_choice(spec["model"].get("calibration")), frame(ev.tables["model/risk_classes.csv"])))


def _calibration(ev: RunEvidence) -> Section:
    """The calibration tests by split, and the heterogeneity of the calibration the run chose."""
    cal = json.loads(ev.texts["model/compiled_spec.json"])["model"].get("calibration")
    return Section(Bilingual("校准", "Calibration"), (*calibration_metrics(ev), _heterogeneity(cal)))


def _challenger(ev: RunEvidence) -> Section:
    label = Bilingual("冠军模型与挑战者", "Champion vs challenger")
    rows: list[list[object]] = [[SPLIT_LABELS[s], ev.metrics.get(f"{s}_auc"), ev.metrics.get(f"challenger_{s}_auc")]
                                for s in SPLITS]
    if all(r[2] is None for r in rows):
        return Section(label, (paragraph("This run trained no challenger.", "本次训练未训练挑战者模型。"),))
    name = ev.params.get("challenger.model_name", "challenger")
    return Section(label, (paragraph(f"Scorecard against {name} (LightGBM on the same candidates and training rows).",
                                     f"评分卡与 {name}（同一候选变量与训练样本上的 LightGBM）对比。"),
                           Table.of(["sample 样本", "scorecard AUC 评分卡", "challenger AUC 挑战者"], rows)))


def _intro(ev: RunEvidence) -> tuple[Text]:
    run = str(ev.version.run_id)
    return (paragraph(f"Every figure below is read from MLflow run {run} or from the default lending policy.",
                      f"以下所有数字均读取自 MLflow 训练运行 {run} 或默认授信政策。", note=True),)


def _title(ev: RunEvidence) -> Bilingual:
    name = f"{ev.version.name} v{ev.version.version}"
    return Bilingual(f"模型文档：{name}", f"Model document: {name}")


def scorecard_document(ev: RunEvidence) -> str:
    max_vif = float(ev.params["scorecard.max_vif"]) if "scorecard.max_vif" in ev.params else None
    sections = [purpose_section(ev), sample_section(ev), _selection(ev), binning_section(ev), _coefficients(ev),
                _scaling(ev), performance_section(ev), _calibration(ev), stability_section(ev), _challenger(ev),
                policy_section(ev),
                Section(Bilingual("局限性", "Limitations"), (BulletList(tuple(limitations(ev, max_vif))),))]
    return render(TEMPLATE, title=_title(ev), intro=_intro(ev), sections=sections)


def lightgbm_document(ev: RunEvidence) -> str:
    g = gbm_document
    sections = [purpose_section(ev), sample_section(ev), g.model_section(ev), performance_section(ev),
                g.importance_section(ev), g.shap_section(ev), g.monotone_section(ev), g.calibration_section(ev),
                stability_section(ev), g.limitations_section(ev)]
    return render(TEMPLATE, title=_title(ev), intro=_intro(ev), sections=sections)


def is_lightgbm(ev: RunEvidence) -> bool:
    return ev.tags.get("riskmodels.kind") in GBM_KINDS


def model_document(ev: RunEvidence) -> str:
    """The whole document as one self-contained HTML page."""
    check_evidence(ev)
    return lightgbm_document(ev) if is_lightgbm(ev) else scorecard_document(ev)


def write_model_document(ev: RunEvidence, out_dir: Path) -> Path:
    """Render in full, then write ``model_document_NAME_vN.html`` under ``out_dir`` atomically."""
    text = model_document(ev)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"model_document_{ev.version.name}_v{ev.version.version}.html"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # gone after the rename; left behind only by a failed write
    return path


def required_artifacts() -> tuple[str, ...]:
    return ("selection/variable_selection.csv", "model/coefficients.csv", "model/scorecard_table.csv",
            "model/risk_classes.csv")


def check_evidence(ev: RunEvidence) -> None:
    """A LightGBM run documents whatever it recorded (missing parts say so); a scorecard run
    needs its tables, without which there is no scorecard to describe."""
    if is_lightgbm(ev):
        return
    missing = [a for a in required_artifacts() if a not in ev.tables]
    if missing or "model/compiled_spec.json" not in ev.texts:
        raise ValueError(f"model must be a scorecard or LightGBM model whose run logged its evidence; "
                         f"{ev.version.name}:{ev.version.version} (kind {ev.tags.get('riskmodels.kind')!r}) "
                         f"lacks {missing or ['model/compiled_spec.json']}")


__all__ = ["check_evidence", "model_document", "write_model_document"]
