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
    body = ("<p class='note'>Per selected characteristic: the bins optbinning found on the training "
            "rows (monotone where the configuration asks for it), their counts, bad rates, WoE, IV and "
            "points, as logged in <code>model/scorecard_table.csv</code>; every candidate's full binning "
            "table is in <code>binning/*.csv</code>.</p>")
    for variable, rows in card.groupby("variable", sort=False):
        rows = rows.drop(columns="variable").reset_index(drop=True)
        png = binning_plot(rows[rows["count"] > 0], str(variable))
        body += (f"<h3>{_html.fmt(variable)} <span class='note'>IV {rows['iv'].sum():.4f}</span></h3>"
                 f"<div class='plots'>{plots.img_tag(png, f'binning of {variable}')}</div>" + _html.frame(rows))
    return _html.section("Binning", body)


def policy_section(ev: RunEvidence) -> str:
    from riskmodels.policy import load_policy

    policy = load_policy()
    pds = ev.tables["model/risk_classes.csv"].set_index("class")["pd"]
    rows = [[c.name, f"{c.min_score:g}", pds.get(c.name), c.pd_override, f"{c.limit_cap:,.0f}", c.inflow_months,
             c.price_multiplier] for c in policy.classes]
    bands = policy.bands
    body = (f"<p>Decision bands of the default lending policy (version {_html.fmt(policy.version)}): approve "
            f"from score {bands.approve_from:g}, reject below {bands.reject_below:g}, manual "
            "review in between (exceptions send some high scores to a person and let some low ones through).</p>"
            + _html.table(["class", "min score", "PD calibrated by this run", "PD override", "limit cap (CNY)",
                           "months of inflow", "price multiplier"], rows))
    return _html.section("Policy cut-offs", body)


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
    out.append("Development covers booked applications with an observed outcome only (no reject inference); "
               "the run does not record how many applications were excluded as not booked.")
    return out


def fmt_or_blank(value: float | None, digits: int = 4) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"
