"""The one plotting style of the reports: matplotlib figures drawn on their own Agg canvas (no
pyplot, no GUI backend), the same size, palette and fonts everywhere, PNG bytes out.

The style lives in an ``rc_context`` entered only while a figure is built and saved
(``plotting()``, or ``styled`` on a function that returns PNG bytes): nothing in matplotlib's
global settings changes, at import or after. Text takes its fonts when it is created, so the
whole drawing, not just the saving, must run inside the style. Fonts: DejaVu Sans for Latin text with a CJK font
as fallback for each missing glyph, so bilingual titles ("中文 / English", ``title``) draw their
Chinese. matplotlib's font list is cached on disk and may predate the CJK font's install, so
the first use looks the font files up and registers them with the font manager (once).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec

import matplotlib
from cycler import cycler
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SIZE = (5.6, 4.0)  # inches: two plots side by side on a report page
DPI = 80  # small files: a report embeds several of them
GOOD, BAD, GREY, BLUE, AMBER, LIGHT = "#2e7d32", "#c62828", "#9e9e9e", "#1565c0", "#b26a00", "#90a4ae"
PALETTE = (BLUE, BAD, GOOD, AMBER, "#6a1b9a", "#00838f", "#5d4037", GREY)
LATIN_FONT = "DejaVu Sans"  # ships with matplotlib: always there
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Droid Sans Fallback", "SimHei", "Microsoft YaHei", "PingFang SC")

P = ParamSpec("P")


def title(zh: str, en: str) -> str:
    """A plot title in both languages, Chinese first."""
    return f"{zh} / {en}"


@functools.cache
def cjk_font() -> str | None:
    """The first CJK-capable family installed, or None (titles then draw their Chinese as boxes)."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in known:
            return name
    for path in font_manager.findSystemFonts():
        try:
            family = font_manager.get_font(path).family_name
        except (OSError, RuntimeError):  # a file FreeType cannot read is not a font we can use
            continue
        if family in CJK_FONTS:
            font_manager.fontManager.addfont(path)
            known.add(family)
    return next((name for name in CJK_FONTS if name in known), None)


def rc() -> dict[Any, Any]:  # matplotlib types the keys as a Literal of every rc name
    """The settings every report plot is drawn with."""
    cjk = cjk_font()
    return {
        # Families in font.family itself: matplotlib falls back glyph by glyph only across these.
        "font.family": [LATIN_FONT, *([cjk] if cjk else []), "sans-serif"],
        "axes.unicode_minus": False,  # the CJK font has no U+2212
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "axes.titlesize": "medium",
        "axes.spines.top": False,
        "axes.grid": True,
        "grid.color": "#e0e0e0",
        "grid.linewidth": 0.6,
        "legend.frameon": False,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
    }


@contextmanager
def plotting() -> Iterator[None]:
    """The report style, for the figures built and saved inside the block."""
    with matplotlib.rc_context(rc()):
        yield


def styled(draw: Callable[P, bytes]) -> Callable[P, bytes]:
    """Draw and save a report plot inside the style (for functions returning PNG bytes)."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> bytes:
        with plotting():
            return draw(*args, **kwargs)

    return wrapper


def new_figure(size: tuple[float, float] = SIZE) -> Figure:
    """A report-sized figure on its own Agg canvas (no pyplot state); draw it inside ``plotting``."""
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # attaches itself to the figure
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, saved in the style (fonts are looked up when text is drawn), with
    no timestamped metadata so a report is reproducible."""
    buffer = io.BytesIO()
    with plotting():
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
