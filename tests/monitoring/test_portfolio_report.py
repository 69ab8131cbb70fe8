"""The credit officer's HTML page: well formed, self-contained, with the tables and plots."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pandas as pd

from riskmodels.monitoring.portfolio import FrameScorer, run_portfolio_monitor
from riskmodels.monitoring.portfolio.report import render_portfolio_report, worst_accounts

Panel = Callable[..., pd.DataFrame]  # the ``panel`` fixture of conftest.py
VOID = {"meta", "img", "br", "hr", "link", "input"}


class TagBalance(HTMLParser):
    """Checks every opened tag is closed in order (void elements excepted)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def _check(page: str) -> TagBalance:
    parser = TagBalance()
    parser.feed(page)
    parser.close()
    assert page.startswith("<!DOCTYPE html>")
    assert not parser.errors and not parser.stack, (parser.errors, parser.stack)
    for src in parser.images:
        data = re.fullmatch(r"data:image/png;base64,([A-Za-z0-9+/=]+)", src)
        assert data is not None
        assert base64.b64decode(data.group(1)).startswith(b"\x89PNG")
    return parser


def test_report_with_b_card_is_well_formed(panel: Panel, b_card: FrameScorer) -> None:
    snapshots = panel({
        "down": [{"inflow_month": 1.0, "a_score_origination": 75.0}] * 2
        + [{"inflow_month": 0.0, "a_score_origination": 55.0}],
        "x<&>": [{}, {}, {"balance_before_due": 1.0}],  # names are escaped, not markup
        "fine": [{}, {}, {}],
    })
    result = run_portfolio_monitor(snapshots, None, b_card)
    page = render_portfolio_report(result)
    parser = _check(page)
    assert len(parser.images) == 2  # signals bar chart and migration heatmap
    assert "x&lt;&amp;&gt;" in page and "x<&>" not in page
    for text in ("无流水预警", "流水下降预警", "评分等级下迁", "B-score class migration", "2025-03-31"):
        assert text in page
    for en, zh in (("Alerts by signal and severity", "预警分布"), ("B-score class migration", "评分等级迁移")):
        assert f'<h2>{en} <span class="zh" lang="zh-CN">{zh}</span></h2>' in page  # both languages
    top = worst_accounts(result)
    assert top["account_id"].iloc[0] == "down"  # orange no-flow before the blue reminder
    assert set(top.loc[0, "signals"].split(", ")) == {"no_flow", "flow_drop", "class_downgrade"}


def test_report_without_b_card_or_alerts(panel: Panel) -> None:
    result = run_portfolio_monitor(panel({"fine": [{}, {}, {}]}), None)
    assert result.alerts.empty
    parser = _check(render_portfolio_report(result))
    assert len(parser.images) == 1  # no migration without a B card
    assert isinstance(worst_accounts(result), pd.DataFrame) and worst_accounts(result).empty
