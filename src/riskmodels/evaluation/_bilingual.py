"""Chinese and English side by side in the model documents, as the portfolio report does:
each title and label carries both ("Calibration 校准"), the Chinese in a ``lang="zh-CN"`` span
so the browser picks a CJK font. Plots keep English labels: matplotlib's default fonts lack
CJK glyphs, and the section around each plot names it in both languages."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import pandas as pd

from riskmodels.evaluation import _html

# CJK fonts first for the Chinese spans; the page's own font for the rest.
CSS = (":lang(zh-CN){font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','PingFang SC','Microsoft YaHei',"
       "sans-serif}.zh{color:#37474f}")


class Label(NamedTuple):
    en: str
    zh: str

    def text(self) -> str:
        """Plain text (table headers, alt texts): ``English 中文``."""
        return f"{self.en} {self.zh}"

    def html(self) -> str:
        return f'{html.escape(self.en)} <span class="zh" lang="zh-CN">{html.escape(self.zh)}</span>'


def section(label: Label, body: str) -> str:
    return f"<section><h2>{label.html()}</h2>{body}</section>"


def heading(label: Label, level: int = 3) -> str:
    return f"<h{level}>{label.html()}</h{level}>"


def paragraph(en: str, zh: str, css: str = "") -> str:
    """One English paragraph (already HTML) and its Chinese counterpart (plain text, escaped)."""
    cls = f' class="{css}"' if css else ""
    return f'<p{cls}>{en}</p><p{cls} lang="zh-CN">{html.escape(zh)}</p>'


def not_recorded(what: Label, artefact: str) -> str:
    """The line an older run gets for evidence it did not log: not a crash, not a blank."""
    return (f'<p class="note"><b>Not recorded in this run</b> <span lang="zh-CN">本次训练未记录</span>: '
            f"{what.html()} (<code>{html.escape(artefact)}</code>). Retrain to record it.</p>")


def table(columns: Sequence[Label | str], rows: Iterable[Sequence[object]], digits: int = 4) -> str:
    return _html.table([c.text() if isinstance(c, Label) else c for c in columns], rows, digits)


def page(title: Label, body: str) -> str:
    """A whole page: ``lang="zh-CN"`` as the portfolio report, the CSS of ``_html`` plus CJK fonts."""
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title.text())}'
            f"</title><style>{_html.CSS}{CSS}</style></head><body>{body}</body></html>")


# Chinese names of the columns of the runs' CSV artefacts; a column not listed keeps its own name.
COLUMNS = {
    "variable": "变量", "iv": "IV", "status": "状态", "reason": "原因", "stage": "阶段", "coef": "系数",
    "coef_unpenalised": "未惩罚系数", "std_err": "标准误", "z": "z 值", "p_value": "p 值", "vif": "VIF",
    "bin": "分箱", "count": "样本数", "event_rate": "坏样本率", "woe": "WoE", "points": "分数",
    "points_fitted": "拟合分数", "class": "等级", "min_score": "最低分", "pd": "PD", "pd_low": "PD 下限",
    "pd_high": "PD 上限",
}


def column(name: str) -> str:
    zh = COLUMNS.get(name)
    return name if zh is None or zh == name else f"{name} {zh}"


def frame(df: pd.DataFrame, digits: int = 4) -> str:
    """A DataFrame as an escaped table, its column names in both languages."""
    return _html.table([column(str(c)) for c in df.columns], df.itertuples(index=False, name=None), digits)
