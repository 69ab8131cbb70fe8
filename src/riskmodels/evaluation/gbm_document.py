"""The model document of a LightGBM model (the fraud model, the A-card challenger), in Chinese
and English, built only from its training run's evidence: the params and metrics, and the
artefacts ``training.gbm_evidence`` logs (paths in ``evaluation.explain``). A run from before
those artefacts existed gets a "not recorded in this run" line for each missing one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from markupsafe import Markup

from riskmodels.evaluation.explain import (
    CALIBRATION_ARTIFACT,
    IMPORTANCE_ARTIFACT,
    LEGACY_IMPORTANCE_ARTIFACT,
    MONOTONE_ARTIFACT,
    SHAP_ARTIFACT,
)
from riskmodels.evaluation.metrics import psi_band
from riskmodels.evaluation.model_document_common import (
    SPLIT_LABELS,
    SPLITS,
    calibration_metrics,
    not_recorded,
    paragraph,
)
from riskmodels.registry.evidence import RunEvidence
from riskmodels.reporting import Bilingual, Block, BulletList, Figure, Figures, Heading, Section, Table, style

ALPHA = 0.05
TOP_FEATURES = 15  # the charts show the strongest features; the tables list every one
_DIRECTION = {1: "risk rises with the value 值越大风险越高", -1: "risk falls with the value 值越大风险越低",
              0: "unconstrained 无约束"}
IMPORTANCE = Bilingual("特征重要性（增益）", "Feature importance (gain)")
SHAP = Bilingual("SHAP 贡献汇总", "SHAP summary")
MONOTONE = Bilingual("单调约束", "Monotone constraints")
CALIBRATION = Bilingual("校准", "Calibration")


@style.styled
def _hbar(names: list[str], values: np.ndarray, xlabel: str, title: str,
          spread: tuple[np.ndarray, np.ndarray] | None = None) -> bytes:
    """Horizontal bars, strongest on top; ``spread`` adds each feature's 5-95% SHAP range."""
    fig = style.new_figure((6.4, 0.28 * len(names) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    ax.barh(y, values, color=style.BLUE, label=xlabel)
    if spread is not None:
        ax.hlines(y, spread[0], spread[1], color=style.BAD, linewidth=1.6, label="SHAP 5%-95% range")
        ax.axvline(0.0, color=style.GREY, linewidth=0.8)
        ax.legend(loc="lower right", fontsize="x-small")
    ax.set_yticks(y, names, fontsize="x-small")
    ax.set(xlabel=xlabel, title=title)
    return style.png_bytes(fig)


def model_section(ev: RunEvidence) -> Section:
    """The booster's hyper-parameters and size, as the run logged them (``gbm.*`` params)."""
    label = Bilingual("模型与超参数", "Model and hyper-parameters")
    params = sorted((k.removeprefix("gbm."), v) for k, v in ev.params.items() if k.startswith("gbm."))
    if not params:
        return Section(label, (not_recorded(label, "params gbm.*"),))
    text = paragraph("LightGBM binary classifier: trees grow on one part of the training rows, early stopping "
                     "watches a second, and a Platt line fitted on a third turns raw log-odds into probabilities.",
                     "LightGBM 二分类模型：在训练样本的一部分上生长树，第二部分用于早停，第三部分拟合 Platt 校准线，"
                     "把原始对数几率转换为概率。")
    return Section(label, (text, Table.of(["parameter 参数", "value 值"], [[k, v] for k, v in params])))


def importance_section(ev: RunEvidence) -> Section:
    table_ = ev.tables.get(IMPORTANCE_ARTIFACT)
    if table_ is None and LEGACY_IMPORTANCE_ARTIFACT in ev.tables:
        table_ = ev.tables[LEGACY_IMPORTANCE_ARTIFACT]
        table_ = table_.assign(gain_share=table_["gain"] / table_["gain"].sum())
    if table_ is None:
        return Section(IMPORTANCE, (not_recorded(IMPORTANCE, IMPORTANCE_ARTIFACT),))
    top = table_.head(TOP_FEATURES)
    png = _hbar([str(f) for f in top["feature"]], top["gain_share"].to_numpy(dtype=float), "share of total gain",
                style.title(f"增益重要性（前 {len(top)}）", f"Gain importance (top {len(top)})"))
    columns = {"feature": "feature 特征", "gain": "gain 增益", "gain_share": "share 占比", "splits": "splits 分裂次数"}
    return Section(IMPORTANCE, (
        paragraph(Markup("Total gain in the training loss of the splits on each feature, over every tree the run "
                         "kept (<code>{}</code>).").format(IMPORTANCE_ARTIFACT),
                  "各特征在模型保留的全部树中分裂所带来的训练损失下降总和（增益）。", note=True),
        Figures((Figure(png, "feature importance (gain)"),)),
        Table.of([columns.get(str(c), str(c)) for c in table_.columns], table_.values.tolist())))


def shap_section(ev: RunEvidence) -> Section:
    summary = ev.tables.get(SHAP_ARTIFACT)
    if summary is None:
        return Section(SHAP, (not_recorded(SHAP, SHAP_ARTIFACT),))
    p = ev.params
    top = summary.head(TOP_FEATURES)
    png = _hbar([str(f) for f in top["feature"]], top["mean_abs_shap"].to_numpy(dtype=float),
                "mean |SHAP| (raw log-odds)", style.title(f"SHAP 汇总（前 {len(top)}）", f"SHAP summary (top {len(top)})"),
                (top["p05"].to_numpy(dtype=float), top["p95"].to_numpy(dtype=float)))
    rows, sample, seed = (p.get(k, "?") for k in ("shap.rows", "shap.sample", "shap.seed"))
    text = paragraph(
        Markup("Path-dependent TreeSHAP (LightGBM's <code>pred_contrib</code>, from per-leaf tables) on {} rows of the {} sample (drawn with seed {}), in "
               "raw log-odds of the bad event: the mean absolute contribution ranks the features; the signed mean "
               "and the quantiles show which way and how far each pushes (<code>{}</code>). Reason codes come from "
               "the same values.").format(rows, sample, seed, SHAP_ARTIFACT),
        f"在 {sample} 样本的 {rows} 行上（种子 {seed}）用路径依赖 TreeSHAP（与 LightGBM 的 pred_contrib 相同，按叶表计算）计算，"
        "单位为坏事件的原始对数几率：平均绝对贡献给出特征排序，带符号均值与分位数显示方向与幅度。"
        "拒绝原因码来自同一组数值。", note=True)
    return Section(SHAP, (
        text, Figures((Figure(png, "SHAP summary"),)),
        Table.of(["feature 特征", "mean |SHAP| 平均绝对贡献", "mean SHAP 平均贡献", "p05", "p25", "p50", "p75", "p95"],
                 summary[["feature", "mean_abs_shap", "mean_shap", "p05", "p25", "p50", "p75", "p95"]].values.tolist())))


def monotone_section(ev: RunEvidence) -> Section:
    if MONOTONE_ARTIFACT not in ev.texts:
        return Section(MONOTONE, (not_recorded(MONOTONE, MONOTONE_ARTIFACT),))
    record = json.loads(ev.texts[MONOTONE_ARTIFACT])
    constraints: dict[str, int] = record["constraints"]
    rows: list[list[object]] = [[f, c, _DIRECTION.get(int(c), str(c))] for f, c in constraints.items()]
    n = sum(1 for c in constraints.values() if c != 0)
    text = paragraph(f"{n} of {len(constraints)} features constrained (method {record['method']}): where the "
                     "catalogue knows the risk direction over the whole range, the trees may only move the "
                     "prediction that way, so a better value never raises the score of risk.",
                     f"{len(constraints)} 个特征中 {n} 个加了单调约束（方法 {record['method']}）：特征目录在整个取值范围"
                     "内已知风险方向的特征，树只能沿该方向改变预测，改善的取值不会提高风险分。")
    return Section(MONOTONE, (text, Table.of(["feature 特征", "constraint 约束", "meaning 含义"], rows)))


@style.styled
def _calibration_curve(table_: pd.DataFrame, split: str) -> bytes:
    """Predicted against observed per decile of one split, on a log scale: at a fraud rate of a
    few per cent the lower deciles sit near zero, where a linear axis shows nothing."""
    rows = table_[table_["split"] == split]
    fig = style.new_figure()
    ax = fig.add_subplot()
    x = rows["group"].to_numpy(dtype=int)
    observed = rows["bad_rate"].to_numpy(dtype=float)
    lower, upper = rows["lower"].to_numpy(dtype=float), rows["upper"].to_numpy(dtype=float)
    ax.vlines(x, lower, upper, color=style.BAD, linewidth=2, label="observed 95% Jeffreys interval")
    seen = observed > 0
    ax.plot(x[seen], observed[seen], "o", color=style.BAD, label="observed bad rate")
    ax.plot(x, rows["mean_pd"].to_numpy(dtype=float), "D", color="black", label="mean predicted probability")
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set(xlabel="predicted-probability decile", ylabel="rate (log scale)",
           title=style.title(f"按十分位的校准（{split}）", f"Calibration by decile ({split})"))
    ax.legend(loc="upper left", fontsize="small")
    return style.png_bytes(fig)


def calibration_section(ev: RunEvidence) -> Section:
    p = ev.params
    body: list[Block] = []
    if "calibration.slope" in p:
        body.append(paragraph(
            f"Platt calibration: calibrated log-odds = {p['calibration.intercept']} + {p['calibration.slope']} × "
            "LightGBM's raw log-odds, fitted on a held-out part of the training rows (affine in log-odds, so the "
            "SHAP values stay exact).",
            f"Platt 校准：校准后对数几率 = {p['calibration.intercept']} + {p['calibration.slope']} × "
            "LightGBM 原始对数几率，在训练样本中预留的一部分上拟合（对数几率上的仿射变换，SHAP 值保持精确）。"))
    body += calibration_metrics(ev)
    deciles = ev.tables.get(CALIBRATION_ARTIFACT)
    if deciles is None or "mean_pd" not in deciles.columns:
        body.append(not_recorded(Bilingual("按十分位的校准表", "calibration by decile"), CALIBRATION_ARTIFACT))
        return Section(CALIBRATION, tuple(body))
    body.append(Heading(Bilingual("按预测概率十分位的校准", "Calibration by PD decile")))
    shown = [s for s in ("test", "oot") if (deciles["split"] == s).any()]
    body.append(Figures(tuple(Figure(_calibration_curve(deciles, s), "calibration by decile") for s in shown)))
    columns = ["group 组", "PD range 概率区间", "rows 行数", "bads 坏样本", "expected bads 预期坏样本",
               "mean PD 平均概率", "bad rate 坏样本率", "lower 下限", "upper 上限"]
    for split in SPLITS:
        rows = deciles[deciles["split"] == split].drop(columns="split")
        if len(rows):
            body += [Heading(SPLIT_LABELS[split], level=4), Table.of(columns, rows.values.tolist())]
    return Section(CALIBRATION, tuple(body))


def gbm_limitations(ev: RunEvidence) -> list[Bilingual]:
    """What a validator should know, each stated from a recorded number."""
    m, out = ev.metrics, []
    if "oot_auc_to_oracle" in m:
        out.append(Bilingual(f"基于模拟数据开发：跨时间样本 AUC 为真值 AUC（{m['oracle_oot_auc']:.4f}）的 "
                             f"{m['oot_auc_to_oracle']:.1%}；银行真实数据会有差异。",
                             f"Developed on simulated data: the OOT AUC is {m['oot_auc_to_oracle']:.1%} of the "
                             f"oracle's {m['oracle_oot_auc']:.4f}; a bank's data will differ."))
    for split in ("test", "oot"):
        p = m.get(f"{split}_hl_pvalue")
        if p is not None and p < ALPHA:
            out.append(Bilingual(f"Hosmer-Lemeshow 检验在 {split} 样本上拒绝校准后的概率（p = {p:.4f}）。",
                                 f"Hosmer-Lemeshow rejects the calibrated probabilities on {split} (p = {p:.4f})."))
        p = m.get(f"{split}_auc_drop_pvalue")
        if p is not None and p < ALPHA:
            out.append(Bilingual(f"AUC 从训练样本到 {split} 样本显著下降（DeLong p = {p:.4f}）：存在一定过拟合。",
                                 f"AUC falls significantly from train to {split} (DeLong p = {p:.4f}): some "
                                 "overfitting."))
    psi = m.get("psi_train_oot")
    if psi is not None and psi_band(psi) != "green":
        out.append(Bilingual(f"训练到跨时间样本的分数 PSI 为 {psi:.4f}（{psi_band(psi)}）。",
                             f"Score PSI train → OOT is {psi:.4f} ({psi_band(psi)})."))
    out.append(Bilingual("增益重要性与 SHAP 描述的是模型本身而非因果：相关特征之间会分摊贡献。",
                         "Gain importance and SHAP describe the model, not causes: correlated features share credit "
                         "between them."))
    return out


def limitations_section(ev: RunEvidence) -> Section:
    return Section(Bilingual("局限性", "Limitations"), (BulletList(tuple(gbm_limitations(ev))),))
