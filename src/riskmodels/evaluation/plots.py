"""The plots validators look at, as PNG bytes (matplotlib's object API: no pyplot state)."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def img_tag(png: bytes, alt: str) -> str:
    return f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def roc_plot(curves: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    """ROC curves of several samples (name -> (y, pd)) overlaid."""
    fig = Figure(figsize=(5, 4.2))
    ax = fig.add_subplot()
    for name, (y, p) in curves.items():
        order = np.argsort(-np.asarray(p), kind="mergesort")
        ys = np.asarray(y, dtype=float)[order]
        tpr = np.r_[0, np.cumsum(ys) / ys.sum()]
        fpr = np.r_[0, np.cumsum(1 - ys) / (1 - ys).sum()]
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="false positive rate (goods rejected)", ylabel="true positive rate (bads caught)", title="ROC")
    ax.legend(loc="lower right")
    return _png(fig)


def ks_plot(y: np.ndarray, score: np.ndarray) -> bytes:
    """Cumulative share of bads and goods by score (low score = risky first)."""
    order = np.argsort(score, kind="mergesort")
    s, ys = np.asarray(score)[order], np.asarray(y, dtype=float)[order]
    cum_bad, cum_good = np.cumsum(ys) / ys.sum(), np.cumsum(1 - ys) / (1 - ys).sum()
    gap = np.abs(cum_bad - cum_good)
    at = int(np.argmax(gap))
    fig = Figure(figsize=(5, 4.2))
    ax = fig.add_subplot()
    ax.plot(s, cum_bad, label="bads")
    ax.plot(s, cum_good, label="goods")
    ax.vlines(s[at], cum_good[at], cum_bad[at], color="red", label=f"KS {gap[at]:.3f} at {s[at]:.1f}")
    ax.set(xlabel="score", ylabel="cumulative share", title="KS")
    ax.legend(loc="lower right")
    return _png(fig)


def calibration_plot(classes: list[str], mean_pd: list[float], bad_rate: list[float],
                     lower: list[float], upper: list[float]) -> bytes:
    """Predicted PD vs observed bad rate per class, with Jeffreys 95% intervals."""
    fig = Figure(figsize=(5, 4.2))
    ax = fig.add_subplot()
    x = np.arange(len(classes))
    ax.bar(x - 0.2, mean_pd, width=0.4, label="predicted PD")
    err = [np.maximum(np.subtract(bad_rate, lower), 0), np.maximum(np.subtract(upper, bad_rate), 0)]
    ax.bar(x + 0.2, bad_rate, width=0.4, yerr=err, capsize=3, label="observed bad rate")
    ax.set_xticks(x, classes)
    ax.set(ylabel="rate", title="Calibration by class")
    ax.legend()
    return _png(fig)


def distribution_plot(groups: Mapping[str, np.ndarray], title: str, bins: int = 30) -> bytes:
    """Overlaid score histograms (goods vs bads, or baseline vs current), as densities."""
    fig = Figure(figsize=(5, 4.2))
    ax = fig.add_subplot()
    values = [np.asarray(v, dtype=float) for v in groups.values()]
    edges = np.histogram_bin_edges(np.concatenate(values), bins=bins)
    for name, v in zip(groups, values):
        ax.hist(v, bins=edges, density=True, alpha=0.5, label=name)
    ax.set(xlabel="score", ylabel="density", title=title)
    ax.legend()
    return _png(fig)
