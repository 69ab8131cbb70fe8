"""The model document a validator reads: one HTML page, in Chinese and English, built only from
what the training run recorded in MLflow (params, metrics, artefacts) and the lending policy it
feeds. Every registered model has one: the A, B and C scorecards, and the LightGBM models (the
fraud model, the A-card challenger; ``gbm_document``).

    html = model_document(registry.load_run_evidence("sme-fraud", "3"))

No number on the page is typed here: each is read from the run (or from the policy file), so the
document of version N always states what version N's run measured.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from riskmodels.evaluation import _html, gbm_document
from riskmodels.evaluation._bilingual import Label, frame, page, paragraph, section, table
from riskmodels.evaluation.model_document_common import (
    SPLIT_LABELS,
    SPLITS,
    calibration_metrics,
    performance_section,
    purpose_section,
    sample_section,
    stability_section,
)
from riskmodels.evaluation.model_document_parts import binning_section, limitations, policy_section
from riskmodels.registry.evidence import RunEvidence

GBM_KINDS = ("fraud", "application_challenger")  # the runs' ``riskmodels.kind`` tag


def _selection(ev: RunEvidence) -> str:
    selection = ev.tables["selection/variable_selection.csv"]
    p = ev.params
    n, kept = len(selection), int((selection["status"] == "selected").sum())
    iv, corr, vif = (html.escape(p.get(k, "?")) for k in ("scorecard.iv_min", "scorecard.max_corr", "scorecard.max_vif"))
    text = paragraph(f"{n} candidates; {kept} selected. Rules, in order: IV at least {iv}, correlation at most "
                     f"{corr} (the higher IV stays), VIF at most {vif}, coefficient sign consistent with WoE.",
                     f"候选变量 {n} 个，入选 {kept} 个。规则依次为：IV 不低于 {iv}；相关系数不超过 {corr}（保留 IV 较高者）；"
                     f"VIF 不超过 {vif}；系数符号与 WoE 一致。")
    return section(Label("Variable selection", "变量筛选"), text + frame(selection.fillna("")))


def _coefficients(ev: RunEvidence) -> str:
    return section(Label("Coefficients (Wald tests, VIF)", "回归系数（Wald 检验、VIF）"),
                   frame(ev.tables["model/coefficients.csv"]))


_BASIS = {"through_the_cycle": ("through the cycle: the level is the long-run average default rate of every "
                                "month with an observed outcome, the out-of-time months included (so the "
                                "out-of-time calibration below is not out of sample for the level; the "
                                "discrimination is)", "跨周期：水平取所有已有表现月份（含跨时间样本月份）的长期平均违约率"),
          "point_in_time": ("point in time: the level is the default rate of the most recent months",
                            "时点：水平取最近几个月的违约率")}


def _calibration_choice(cal: dict[str, object] | None) -> str:
    """The PD calibration the run chose (method, point in time or through the cycle, line)."""
    if not cal or cal.get("method") == "none":
        return paragraph("<b>PD calibration: none.</b> PDs are the logistic fit's own, read from the unclipped "
                         "points.", "PD 校准：无。PD 直接取自逻辑回归，由未截断的分数换算。")
    en, zh = _BASIS.get(str(cal["basis"]), (str(cal["basis"]), str(cal["basis"])))
    f = _html.fmt
    return paragraph(
        f"<b>PD calibration: {f(cal['method'])}, {f(en)}.</b> Calibrated log-odds of bad = {f(cal['intercept'])} + "
        f"{f(cal['slope'])} × the fit's log-odds. Slope fitted on {f(cal['slope_sample'])} ({f(cal['slope_rows'])} "
        f"rows, {f(cal['slope_bads'])} bads); level on {f(cal['level_sample'])} (default rate "
        f"{f(cal['level_default_rate'])}); the out-of-time months are never used. The line is baked into every "
        "bin's points, so the points sum to the calibrated score and every PD is read from the unclipped sum "
        "(<code>model/calibration.json</code>, <code>model/calibration_table.csv</code>).",
        f"PD 校准：{cal['method']}，{zh}。校准后坏事件对数几率 = {f(cal['intercept'])} + {f(cal['slope'])} × "
        "拟合的对数几率；跨时间样本月份从不参与斜率拟合。校准线已并入每个分箱的分数，所有 PD 均由未截断的总分换算。")


def _scaling(ev: RunEvidence) -> str:
    spec = json.loads(ev.texts["model/compiled_spec.json"])
    scale = spec["model"]["scale"]
    f = _html.fmt
    text = paragraph(
        f"Points = offset + factor × ln(odds of good): {f(scale['base_points'])} points at odds "
        f"{f(scale['base_odds'])}:1, {f(scale['pdo'])} points to double the odds, clipped to "
        f"{f(scale['min_score'])}–{f(scale['max_score'])}. Intercept (log-odds of bad) "
        f"{f(spec['model']['intercept'])}, spread evenly over the characteristics' points.",
        f"分数 = 偏移量 + 因子 × ln(好坏比)：好坏比 {f(scale['base_odds'])}:1 时为 {f(scale['base_points'])} 分，"
        f"好坏比翻倍加 {f(scale['pdo'])} 分，截断于 {f(scale['min_score'])}–{f(scale['max_score'])}。")
    text += _calibration_choice(spec["model"].get("calibration"))
    return section(Label("Scaling and risk classes", "刻度与风险等级"),
                   text + frame(ev.tables["model/risk_classes.csv"]))


def _challenger(ev: RunEvidence) -> str:
    label = Label("Champion vs challenger", "冠军模型与挑战者")
    rows: list[list[object]] = [[SPLIT_LABELS[s], ev.metrics.get(f"{s}_auc"), ev.metrics.get(f"challenger_{s}_auc")]
                                for s in SPLITS]
    if all(r[2] is None for r in rows):
        return section(label, paragraph("This run trained no challenger.", "本次训练未训练挑战者模型。"))
    name = html.escape(ev.params.get("challenger.model_name", "challenger"))
    return section(label, paragraph(f"Scorecard against {name} (LightGBM on the same candidates and training rows).",
                                    f"评分卡与 {name}（同一候选变量与训练样本上的 LightGBM）对比。")
                   + table(["sample 样本", "scorecard AUC 评分卡", "challenger AUC 挑战者"], rows))


def _header(ev: RunEvidence, title: Label) -> str:
    run = html.escape(str(ev.version.run_id))
    return (f"<h1>{title.html()}</h1>"
            + paragraph(f"Every figure below is read from MLflow run {run} or from the default lending policy.",
                        f"以下所有数字均读取自 MLflow 训练运行 {ev.version.run_id} 或默认授信政策。", "note"))


def _title(ev: RunEvidence) -> Label:
    name = f"{ev.version.name} v{ev.version.version}"
    return Label(f"Model document: {name}", f"模型文档：{name}")


def scorecard_document(ev: RunEvidence) -> str:
    max_vif = float(ev.params["scorecard.max_vif"]) if "scorecard.max_vif" in ev.params else None
    items = "".join(f"<li>{html.escape(t)}</li>" for t in limitations(ev, max_vif))
    parts = [_header(ev, _title(ev)), purpose_section(ev), sample_section(ev), _selection(ev), binning_section(ev),
             _coefficients(ev), _scaling(ev), performance_section(ev),
             section(Label("Calibration", "校准"), calibration_metrics(ev)), stability_section(ev), _challenger(ev),
             policy_section(ev), section(Label("Limitations", "局限性"), f"<ul>{items}</ul>")]
    return page(_title(ev), "".join(parts))


def lightgbm_document(ev: RunEvidence) -> str:
    g = gbm_document
    parts = [_header(ev, _title(ev)), purpose_section(ev), sample_section(ev), g.model_section(ev),
             performance_section(ev), g.importance_section(ev), g.shap_section(ev), g.monotone_section(ev),
             g.calibration_section(ev), stability_section(ev), g.limitations_section(ev)]
    return page(_title(ev), "".join(parts))


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
