"""The drift report's own plots (PSI by month, CSI per characteristic), as PNG bytes.

Drawn like ``riskmodels.evaluation.plots``: a ``matplotlib.figure.Figure`` on the Agg canvas,
no pyplot state. The bands drawn are the thresholds the checks use.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from riskmodels.monitoring.drift.thresholds import Band

_COLOURS = {"green": "#2e7d32", "amber": "#b26a00", "red": "#c62828", "not judged": "#9e9e9e"}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def psi_by_month_plot(monthly: pd.DataFrame, band: Band, title: str = "Score PSI by month") -> bytes:
    """One marker per month, coloured by its status, with the amber and red lines."""
    if monthly.empty:
        raise ValueError("monthly has no rows; a PSI by month needs at least one month")
    fig = _figure(7.2, 3.6)
    ax = fig.add_subplot()
    x = np.arange(len(monthly))
    ax.plot(x, monthly["psi"], color="#1565c0", linewidth=1)
    ax.scatter(x, monthly["psi"], c=[_COLOURS[s] for s in monthly["status"]], zorder=3)
    ax.axhline(band.amber, color=_COLOURS["amber"], linestyle="--", label=f"amber {band.amber:g}")
    ax.axhline(band.red, color=_COLOURS["red"], linestyle="--", label=f"red {band.red:g}")
    step = max(1, len(monthly) // 12)
    ax.set_xticks(x[::step], monthly["month"].iloc[::step], rotation=45, ha="right", fontsize="x-small")
    ax.set(ylabel="PSI vs baseline bins", title=title, ylim=(0, max(band.red * 1.3, float(monthly["psi"].max()) * 1.1)))
    ax.legend(fontsize="small", loc="upper left")
    return _png(fig)


def csi_bar_plot(values: pd.Series, band: Band, title: str = "CSI per characteristic") -> bytes:
    """Horizontal bars, largest CSI on top, coloured by band."""
    if values.empty:
        raise ValueError("values is empty; give at least one characteristic's CSI")
    ordered = values.sort_values()
    fig = _figure(7.2, max(2.5, 0.22 * len(ordered) + 1.0))
    ax = fig.add_subplot()
    colours = [_COLOURS[band.status(v)] for v in ordered]
    ax.barh(np.arange(len(ordered)), ordered.to_numpy(), color=colours)
    ax.set_yticks(np.arange(len(ordered)), ordered.index.tolist(), fontsize="x-small")
    ax.axvline(band.amber, color=_COLOURS["amber"], linestyle="--", label=f"amber {band.amber:g}")
    ax.axvline(band.red, color=_COLOURS["red"], linestyle="--", label=f"red {band.red:g}")
    ax.set(xlabel="CSI (scorecard bins, baseline fixed)", title=title)
    ax.legend(fontsize="small", loc="lower right")
    return _png(fig)
