"""HTML reports from Jinja2 templates: one environment (autoescape on), one base layout, the
bilingual text type, the content blocks the templates lay out, and one plotting style
(``reporting.style``, imported on its own: it loads matplotlib).

    from riskmodels.reporting import Bilingual, Section, Table, render
    html = render("override_report.html.j2", title=Bilingual("报告", "Report"), sections=[...])

Nothing happens at import: the environment is built on first use.
"""

from __future__ import annotations

from riskmodels.reporting.blocks import (
    Badge,
    Block,
    BulletList,
    Cell,
    Details,
    Figure,
    Figures,
    Heading,
    Html,
    Num,
    Section,
    Table,
    Text,
    display,
    pct,
)
from riskmodels.reporting.environment import environment, render, report_templates
from riskmodels.reporting.text import Bilingual, Label, label_text

__all__ = ["Badge", "Bilingual", "Block", "BulletList", "Cell", "Details", "Figure", "Figures", "Heading", "Html",
           "Label", "Num", "Section", "Table", "Text", "display", "environment", "label_text", "pct", "render",
           "report_templates"]
