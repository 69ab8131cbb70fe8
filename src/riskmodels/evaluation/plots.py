"""The plots validators look at, each returned as PNG bytes.

Figures are built with ``matplotlib.figure.Figure`` and rendered by the Agg canvas directly:
no pyplot, so no global figure state, no GUI backend and nothing changed at import time. Each
plot is drawn in the reports' one style (``riskmodels.reporting.style``), titles in Chinese and
English.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from riskmodels.evaluation import metrics
from riskmodels.reporting import style
from riskmodels.reporting.blocks import PNG_SIGNATURE
from riskmodels.reporting.style import styled
from riskmodels.reporting.style import title as bilingual

_GOOD, _BAD, _GREY = style.GOOD, style.BAD, style.GREY


def new_axes() -> tuple[Figure, Axes]:
    """A report-sized figure on its own canvas (no pyplot state) and its one axes. Its text takes
    the report fonts when drawn inside ``reporting.style.plotting`` (every plot here is)."""
    fig = style.new_figure()
    return fig, fig.add_subplot()


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (no timestamped metadata, so a report is reproducible)."""
    return style.png_bytes(fig)


def img_tag(png: bytes, alt: str = "plot") -> str:
    """An ``<img>`` element carrying the PNG inline, so the HTML needs no other file."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("png must be PNG bytes (missing the PNG signature)")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


@styled
def roc_plot(curves: Mapping[str, tuple[ArrayLike, ArrayLike]], title: str = bilingual("ROC 曲线", "ROC")) -> bytes:
    """ROC curves of several samples overlaid, e.g. {"train": (y, pd), "test": ..., "oot": ...}."""
    if not curves:
        raise ValueError("curves is empty; give at least one (y, pd) pair")
    fig, ax = new_axes()
    for name, (y, pd_) in curves.items():
        _, tpr, fpr = metrics.cumulative_shares(y, pd_)
        ax.plot(np.r_[0, fpr], np.r_[0, tpr], label=f"{name} (AUC {metrics.auc(y, pd_):.3f})")
    ax.plot([0, 1], [0, 1], color=_GREY, linestyle=":", label="random")
    ax.set(xlabel="share of goods rejected (FPR)", ylabel="share of bads caught (TPR)", title=title,
           xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize="small")
    return png_bytes(fig)


@styled
def ks_plot(y: ArrayLike, score: ArrayLike, title: str = bilingual("KS 曲线", "KS")) -> bytes:
    """Cumulative share of bads and goods at or below each score (higher score = safer)."""
    s = np.asarray(score, dtype=float)
    # Riskiest first means lowest score first: rank on -score, then read thresholds back as scores.
    neg_threshold, cum_bad, cum_good = metrics.cumulative_shares(y, -s)
    cut = -neg_threshold
    gap = cum_bad - cum_good
    at = int(np.argmax(np.abs(gap)))
    fig, ax = new_axes()
    ax.step(cut, cum_bad, where="post", color=_BAD, label="bads")
    ax.step(cut, cum_good, where="post", color=_GOOD, label="goods")
    ax.vlines(cut[at], cum_good[at], cum_bad[at], color="black", linestyle="--",
              label=f"KS {abs(gap[at]):.3f} at score {cut[at]:.4g}")
    ax.set(xlabel="score", ylabel="cumulative share (score <= x)", title=title, ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize="small")
    return png_bytes(fig)


@styled
def calibration_plot(labels: Sequence[object], predicted: ArrayLike, observed: ArrayLike,
                     lower: ArrayLike, upper: ArrayLike, title: str = bilingual("校准", "Calibration")) -> bytes:
    """Predicted PD vs observed bad rate per class or PD group, with the observed rate's interval
    (e.g. Jeffreys 95%): a predicted marker below the interval is an underestimated PD."""
    pred, obs = np.asarray(predicted, dtype=float), np.asarray(observed, dtype=float)
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if not len(labels) == len(pred) == len(obs) == len(lo) == len(hi):
        raise ValueError(f"lengths must match; got {len(labels)}, {len(pred)}, {len(obs)}, {len(lo)} and {len(hi)}")
    x = np.arange(len(labels))
    fig, ax = new_axes()
    err = np.vstack([np.clip(obs - lo, 0, None), np.clip(hi - obs, 0, None)])
    ax.errorbar(x, obs, yerr=err, fmt="o", color=_BAD, capsize=4, label="observed bad rate (95% interval)")
    ax.plot(x, pred, "D", color="black", label="predicted PD")
    ax.set_xticks(x, [str(v) for v in labels])
    ax.set(ylabel="rate", title=title)
    ax.legend(loc="upper left", fontsize="small")
    return png_bytes(fig)


@styled
def score_distribution_plot(groups: Mapping[str, ArrayLike], title: str = bilingual("分数分布", "Score distribution"),
                            bins: int = 30) -> bytes:
    """Overlaid histograms on common bins, as densities: goods vs bads, or baseline vs current."""
    values = {name: np.asarray(v, dtype=float) for name, v in groups.items()}
    values = {name: v[np.isfinite(v)] for name, v in values.items()}
    if not values or not any(len(v) for v in values.values()):
        raise ValueError("groups has no finite values to plot")
    edges = np.histogram_bin_edges(np.concatenate(list(values.values())), bins=bins)
    fig, ax = new_axes()
    for name, v in values.items():
        ax.hist(v, bins=edges.tolist(), density=True, alpha=0.5, label=f"{name} (n={len(v):,})")
    ax.set(xlabel="score", ylabel="density", title=title)
    ax.legend(fontsize="small")
    return png_bytes(fig)


@styled
def psi_plot(result: metrics.StabilityResult, title: str = bilingual("群体稳定性", "Population stability")) -> bytes:
    """Baseline vs current share per bin, with each bin's PSI contribution on the right axis."""
    table = result.table
    x = np.arange(len(table))
    fig, ax = new_axes()
    ax.bar(x - 0.2, table["expected_share"], width=0.4, color=_GREY, label="baseline")
    ax.bar(x + 0.2, table["actual_share"], width=0.4, color="#1565c0", label="current")
    ax.set_xticks(x, [str(b) for b in table["bin"]], rotation=60, ha="right", fontsize="x-small")
    ax.set(ylabel="share of rows", title=f"{title}: PSI {result.total:.4f} ({metrics.psi_band(result.total)})")
    right = ax.twinx()
    right.plot(x, table["psi"], "o-", color=_BAD, label="PSI contribution")
    right.set_ylabel("PSI contribution")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize="small", loc="upper left")
    return png_bytes(fig)


@styled
def bad_rate_plot(table: pd.DataFrame, violations: Sequence[tuple[object, object]] = (),
                  title: str = bilingual("各等级坏样本率", "Bad rate by class")) -> bytes:
    """Bad rate per class from best to worst (a ``bad_rate_by_class`` table); classes in a
    monotonicity violation are drawn in red, the others in green."""
    flagged = {c for pair in violations for c in pair}
    x = np.arange(len(table))
    fig, ax = new_axes()
    colours = [_BAD if c in flagged else _GOOD for c in table["class"]]
    ax.bar(x, table["bad_rate"].fillna(0.0), color=colours)
    for i, (rate, n) in enumerate(zip(table["bad_rate"], table["n"], strict=True)):
        ax.annotate(f"{rate:.1%}\nn={n:,}" if n else "empty", (i, 0 if np.isnan(rate) else rate),
                    ha="center", va="bottom", fontsize="x-small")
    ax.set_xticks(x, [str(c) for c in table["class"]])
    ax.set(xlabel="risk class (best to worst)", ylabel="bad rate", title=title)
    ax.margins(y=0.2)
    return png_bytes(fig)
