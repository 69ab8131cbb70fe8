"""Bilingual text: every title and label of a report in Chinese and English.

A ``Bilingual`` is rendered by the templates as the English text followed by the Chinese in a
``lang="zh-CN"`` span, so the browser picks a CJK font for it (the base layout's font stack).
Plot titles, which are not HTML, read "中文 / English" (``reporting.style.title``).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable


class Bilingual(NamedTuple):
    """One text in both languages; either may be ``markupsafe.Markup`` (our own snippets)."""

    zh: str
    en: str

    def text(self) -> str:
        """Plain text for titles and alt texts: ``English 中文`` (one side alone when the other is empty)."""
        return " ".join(part for part in (self.en, self.zh) if part)

    def slash(self) -> str:
        """Plain text, Chinese first: ``中文 / English`` (plot titles, file titles)."""
        return " / ".join(part for part in (self.zh, self.en) if part)


@runtime_checkable
class Pair(Protocol):
    """Anything with both texts, ``zh`` and ``en``: ``Bilingual``, or a caller's own pair type."""

    @property
    def zh(self) -> str: ...

    @property
    def en(self) -> str: ...


Label = str | Pair  # a table header or heading: one language (a name, a code) or both


def label_text(label: Label) -> str:
    """Plain text of a label, ``English 中文``."""
    if isinstance(label, str):
        return label
    return " ".join(part for part in (label.en, label.zh) if part)
