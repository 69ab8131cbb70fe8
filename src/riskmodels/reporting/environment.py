"""The one Jinja2 environment of the reports: templates from this package (so they load from an
installed wheel too), autoescape always on, undefined names an error. Built on first use."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from riskmodels.reporting.blocks import Badge, Num
from riskmodels.reporting.text import label_text

LAYOUT = "base.html.j2"
_PARTIALS = ("_", LAYOUT)  # templates no report renders on its own


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("riskmodels.reporting", "templates"),
        autoescape=True,  # every template and every string: a value is text unless it is Markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label_text"] = label_text
    env.tests["badge"] = lambda value: isinstance(value, Badge)
    env.tests["num"] = lambda value: isinstance(value, Num)
    return env


def render(template: str, /, **context: Any) -> str:
    """The template rendered with ``context``: a whole page for a report template."""
    return environment().get_template(template).render(**context)


def report_templates() -> list[str]:
    """The report templates (each extends the base layout), partials left out."""
    return [name for name in environment().list_templates(extensions=["j2"])
            if not name.startswith(_PARTIALS)]
