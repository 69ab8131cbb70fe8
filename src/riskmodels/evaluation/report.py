"""Evaluate a model on its samples once, and write the validation report validators read."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from riskmodels.evaluation import calibration, metrics, plots
from riskmodels.risk_classes import RiskBands

SPLITS = ("train", "test", "oot")


@dataclass(frozen=True)
class SplitData:
    y: np.ndarray
    pd: np.ndarray
    score: np.ndarray  # higher = safer
    oracle_pd: np.ndarray | None = None  # the simulator's true probability, when known


@dataclass(frozen=True)
class EvaluationResult:
    metrics: dict[str, float]
    class_tables: dict[str, pd.DataFrame]
    splits: dict[str, SplitData] = field(repr=False)
    bands: RiskBands = field(repr=False)


def evaluate_splits(splits: Mapping[str, SplitData], bands: RiskBands) -> EvaluationResult:
    """Every metric of every sample, named ``{split}_{metric}`` for MLflow."""
    out: dict[str, float] = {}
    tables: dict[str, pd.DataFrame] = {}
    for name, s in splits.items():
        out[f"{name}_n"] = float(len(s.y))
        out[f"{name}_bad_rate"] = float(np.mean(s.y))
        out[f"{name}_auc"] = metrics.auc(s.y, s.pd)
        out[f"{name}_auc_se"] = metrics.auc_standard_error(s.y, s.pd)
        out[f"{name}_gini"] = 2 * out[f"{name}_auc"] - 1
        out[f"{name}_ks"] = metrics.ks(s.y, s.pd).statistic
        hl = calibration.hosmer_lemeshow(s.y, s.pd)
        out[f"{name}_hl_pvalue"] = hl.p_value
        classes = bands.assign(s.score)
        table = calibration.class_tests(s.y, s.pd, classes, bands.names)
        tables[name] = table
        out[f"{name}_class_monotone"] = float(calibration.is_monotone(table["bad_rate"].tolist()))
        out[f"{name}_jeffreys_failures"] = float((~table["passed"]).sum())
        out[f"{name}_herfindahl"] = calibration.herfindahl(classes)
        if s.oracle_pd is not None:
            out[f"oracle_{name}_auc"] = metrics.auc(s.y, s.oracle_pd)
            out[f"{name}_auc_to_oracle"] = out[f"{name}_auc"] / out[f"oracle_{name}_auc"]
    if "train" in splits and "oot" in splits:
        out["psi_train_oot"] = metrics.psi(splits["train"].score, splits["oot"].score)
    return EvaluationResult(out, tables, dict(splits), bands)


def _metrics_table(result: EvaluationResult) -> str:
    m = result.metrics
    rows = []
    for name in (s for s in SPLITS if f"{s}_auc" in m):
        oracle = m.get(f"oracle_{name}_auc")
        rows.append({"sample": name, "rows": int(m[f"{name}_n"]), "bad rate": f"{m[f'{name}_bad_rate']:.2%}",
                     "AUC": f"{m[f'{name}_auc']:.4f}", "Gini": f"{m[f'{name}_gini']:.4f}",
                     "KS": f"{m[f'{name}_ks']:.4f}", "HL p-value": f"{m[f'{name}_hl_pvalue']:.3f}",
                     "oracle AUC": "" if oracle is None else f"{oracle:.4f}",
                     "AUC / oracle": "" if oracle is None else f"{m[f'{name}_auc_to_oracle']:.3f}"})
    return pd.DataFrame(rows).to_html(index=False, escape=True)


def _class_section(result: EvaluationResult, split: str) -> str:
    table = result.class_tables[split].copy()
    monotone = calibration.is_monotone(table["bad_rate"].tolist())
    lower = [stats.beta.ppf(0.025, b + 0.5, n - b + 0.5) if n else np.nan for n, b in zip(table["n"], table["bads"])]
    upper = [stats.beta.ppf(0.975, b + 0.5, n - b + 0.5) if n else np.nan for n, b in zip(table["n"], table["bads"])]
    png = plots.calibration_plot(table["class"].tolist(), table["mean_pd"].tolist(), table["bad_rate"].tolist(),
                                 lower, upper)
    verdict = "monotone" if monotone else "NOT monotone"
    return (f"<p>Bad rate by class on <b>{split}</b>: <span class='{'ok' if monotone else 'bad'}'>{verdict}</span>."
            f" Jeffreys test per class (p &lt; 0.05 flags an underestimated PD).</p>"
            + table.to_html(index=False, float_format=lambda v: f"{v:.4f}") + plots.img_tag(png, "calibration"))


def validation_report(result: EvaluationResult, title: str,
                      sections: list[tuple[str, str]] | None = None) -> str:
    """One self-contained HTML page: metrics, stability, calibration, plots, extra sections."""
    m = result.metrics
    parts = [f"<h1>{html.escape(title)}</h1>", "<h2>Discrimination</h2>", _metrics_table(result)]
    if "psi_train_oot" in m:
        band = metrics.stability_band(m["psi_train_oot"])
        parts.append(f"<h2>Stability</h2><p>Score PSI train → OOT (deciles of the training scores): "
                     f"<span class='{band}'>{m['psi_train_oot']:.4f} ({band})</span></p>")
    curves = {name: (s.y, s.pd) for name, s in result.splits.items()}
    parts.append("<h2>Plots</h2>" + plots.img_tag(plots.roc_plot(curves), "ROC"))
    last = "oot" if "oot" in result.splits else next(iter(result.splits))
    s = result.splits[last]
    parts.append(plots.img_tag(plots.ks_plot(s.y, s.score), "KS"))
    parts.append(plots.img_tag(plots.distribution_plot(
        {"goods": s.score[s.y == 0], "bads": s.score[s.y == 1]}, f"Score distribution ({last})"), "scores"))
    if "train" in result.splits and last != "train":
        parts.append(plots.img_tag(plots.distribution_plot(
            {"train": result.splits["train"].score, last: s.score}, "Stability: train vs " + last), "stability"))
    parts.append("<h2>Calibration</h2>" + _class_section(result, last))
    for heading, body in sections or []:
        parts.append(f"<h2>{html.escape(heading)}</h2>{body}")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}img{margin:6px;border:1px solid #eee}"
             ".green,.ok{color:#1a7f37;font-weight:bold}.amber{color:#b58100;font-weight:bold}"
             ".red,.bad{color:#c62828;font-weight:bold}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
