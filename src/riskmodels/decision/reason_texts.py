"""Reason texts that are true of the applicant: the characteristic, the applicant's own value
(a special code as its meaning, -1 = never) and, for a scorecard, the band the value fell in and
the best band, e.g. "纳税额同比增长率：+7.1%（所在档位：0%至+15%（不含）；最优档位：+15%及以上） /
Growth of tax paid ...: +7.1% (band: 0% to under +15%; best band: +15% or more)". A GBM has no
bands, so its text states the value alone (``plain_text``). ``riskmodels.decision.reasons``
picks which characteristics are reasons; this module only says them.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from riskmodels.contract import DPD_BUCKETS
from riskmodels.features.catalogue import CATEGORY_LABELS, FeatureInfo


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# Units whose values are whole numbers: their bands read "3 to 5", not "2.5 to under 5.5".
_INTEGER_UNITS = frozenset({"count", "months", "days", "flag", "bucket"})
# Annualised counts (a young account's scaled up) can be fractional: their bands stay real.
_FRACTIONAL = frozenset({"flow_txn_count_12m", "pos_count_12m"})
# Growth rates read signed (+7%): the sign is the direction, so the text cannot contradict it.
_SIGNED = frozenset({"tax_growth"})
_DECIMALS = {"CNY": 0, "ratio": 1, "score": 1, "years": 1}  # default decimals shown (percent for ratios)
_MORE_DECIMALS = 6  # a value this close to a band edge is shown with up to this many more
# The codes a description carries for a data dictionary, "(1 = yes)", "（-1为从未逾期）": a reason
# states the meaning instead.
_CODE_NOTE = re.compile(r"\s*\([^)]*[=:][^)]*\)|（[^）]*为[^）]*）")
_NO_DATA = ("无数据", "no data")
# A ratio is null when a figure it divides is missing, or when its base is zero (tax paid over
# declared sales of 0): "no data" would be false of an applicant who gave every figure, and this
# is true of both.
_NOT_COMPUTABLE = ("无法根据所报数据计算", "not computable from the figures given")


@dataclass(frozen=True)
class Phrasing:
    """How one characteristic's value reads in a reason text, from its catalogue entry."""

    name: str
    label_zh: str
    label_en: str
    unit: str | None
    categorical: bool
    integer: bool  # whole numbers only (bands read as whole numbers)
    signed: bool
    decimals: int
    scale: float  # 100 for ratios, shown as percent
    special_zh: Mapping[float, str]
    special_en: Mapping[float, str]
    direction: int

    @classmethod
    def of(cls, info: FeatureInfo) -> Phrasing:
        numeric = info.kind == "numeric"
        return cls(info.name, _CODE_NOTE.sub("", info.description_zh), _CODE_NOTE.sub("", info.description_en),
                   info.unit, not numeric, numeric and info.unit in _INTEGER_UNITS and info.name not in _FRACTIONAL,
                   info.name in _SIGNED, _DECIMALS.get(info.unit or "", 0), 100.0 if info.unit == "ratio" else 1.0,
                   {float(k): v for k, v in info.special_codes_zh.items()},
                   {float(k): v for k, v in info.special_codes.items()}, info.risk_direction)

    def shown(self, x: float, decimals: int) -> float:
        """The number the text shows for ``x``."""
        return round(x * self.scale, decimals)

    def number(self, x: float, decimals: int) -> tuple[str, str]:
        """``x`` in its unit (zh, en), e.g. ("28,000元", "CNY 28,000"), ("+7.1%", "+7.1%"), ("是", "yes")."""
        if self.unit == "flag" and x in (0.0, 1.0):
            return ("是", "yes") if x else ("否", "no")
        if self.unit == "bucket" and float(x).is_integer() and 1 <= x <= len(DPD_BUCKETS):
            bucket = DPD_BUCKETS[int(x) - 1]
            return f"{bucket}天", f"{bucket} days"
        shown = self.shown(x, decimals) + 0.0  # + 0.0: -0.0 reads as 0
        text = f"{shown:{'+' if self.signed and shown else ''},.{decimals}f}"
        if "." in text:  # 15.0 -> 15: no false precision, no trailing zeros
            text = text.rstrip("0").rstrip(".")
        unit = self.unit
        if unit == "CNY":
            return f"{text}元", f"CNY {text}"
        if unit == "ratio":
            return f"{text}%", f"{text}%"
        if unit in ("months", "days", "years"):
            return f"{text}{ {'months': '个月', 'days': '天', 'years': '年'}[unit]}", f"{text} {unit}"
        return text, text

    @property
    def missing(self) -> tuple[str, str]:
        """What a null value reads as (zh, en): no data, or for a ratio, not computable."""
        return _NOT_COMPUTABLE if self.unit == "ratio" else _NO_DATA

    def value(self, value: Any, decimals: int) -> tuple[str, str]:
        """The applicant's value (zh, en): a category by its label, a special code by its meaning."""
        if is_missing(value):
            return self.missing
        if self.categorical or isinstance(value, str):
            return CATEGORY_LABELS.get(str(value), (str(value), str(value)))
        x = float(value)
        if x in self.special_en:
            return self.special_zh.get(x, self.special_en[x]), self.special_en[x]
        return self.number(x, decimals)

    def favourable_end(self, value: Any) -> bool:
        """True when the catalogue calls ``value`` the safest there is: a special code (each
        means "never happened"), zero or less of a thing where more is riskier, or "yes" to a
        flag where yes is safer. Nothing about such a value is adverse."""
        if self.categorical or is_missing(value) or isinstance(value, str):
            return False
        x = float(value)
        return (x in self.special_en or (self.direction == 1 and x <= 0)
                or (self.direction == -1 and self.unit == "flag" and x >= 1))


class Bands:
    """One scorecard characteristic's bins as a reason states them: where a value falls (the
    scorer's own rules: missing, special codes, "equal goes right", an unseen category in the
    missing bin or, when the spec says ``worst_bin``, the lowest-scoring bin) and each band's
    label. Built once per loaded scorecard."""

    def __init__(self, phrasing: Phrasing, splits: Sequence[float], categories: Sequence[Sequence[Any]],
                 points: Sequence[float], missing_points: float, specials: Sequence[tuple[Sequence[Any], float]],
                 unseen: str = "missing_bin") -> None:
        self.phrasing = phrasing
        self.splits = list(splits)
        self.categories = [list(c) for c in categories]
        self.category_bin = {c: i for i, group in enumerate(self.categories) for c in group}
        n = len(points)
        self.missing = n  # indices: the bins, then the missing bin, then each special bin
        self.special_bin = {float(code) if not isinstance(code, str) else code: n + 1 + k
                            for k, (codes, _) in enumerate(specials) for code in codes}
        self.special_codes = [list(codes) for codes, _ in specials]
        every = [*points, missing_points, *(p for _, p in specials)]
        self.best = max(range(len(every)), key=every.__getitem__)  # the first of equals
        # Where the scorer puts an unseen category (an ``error`` spec never scores one).
        self.unseen = min(range(len(points)), key=list(points).__getitem__) if unseen == "worst_bin" else self.missing
        # A band's label depends on the band and the decimals only: built once each (every
        # answer's reasons name the best band, and most values fall in a few bands).
        self._labels: dict[tuple[int, int], tuple[str, str]] = {}

    def locate(self, value: Any) -> int:
        if is_missing(value):
            return self.missing
        special = self.special_bin.get(value)
        if special is not None:
            return special
        if self.categories:
            return self.category_bin.get(value, self.unseen)
        return bisect_right(self.splits, float(value))

    def _edges(self, index: int) -> tuple[float | None, float | None]:
        return (self.splits[index - 1] if index > 0 else None,
                self.splits[index] if index < len(self.splits) else None)

    def label(self, index: int, decimals: int) -> tuple[str, str]:
        """A band (zh, en): "+3.7%至+19.8%（不含）" / "+3.7% to under +19.8%", "3至5" / "3 to 5"."""
        known = self._labels.get((index, decimals))
        if known is None:
            known = self._labels[(index, decimals)] = self._label(index, decimals)
        return known

    def _label(self, index: int, decimals: int) -> tuple[str, str]:
        p = self.phrasing
        if index == self.missing:
            return p.missing
        if index > self.missing:
            codes = self.special_codes[index - self.missing - 1]
            return p.value(codes[0], decimals)
        if self.categories:
            labels = [p.value(c, decimals) for c in self.categories[index]]
            return "、".join(zh for zh, _ in labels), ", ".join(en for _, en in labels)
        lo, hi = self._edges(index)
        if p.integer:
            return self._whole_label(lo, hi)
        if lo is None and hi is not None:
            zh, en = p.number(hi, decimals)
            return f"低于{zh}", f"below {en}"
        if hi is None and lo is not None:
            zh, en = p.number(lo, decimals)
            return f"{zh}及以上", f"{en} or more"
        if lo is None or hi is None:
            return "全部", "any value"
        (lo_zh, lo_en), (hi_zh, hi_en) = p.number(lo, decimals), p.number(hi, decimals)
        return f"{lo_zh}至{hi_zh}（不含）", f"{lo_en} to under {hi_en}"

    def _whole_label(self, lo: float | None, hi: float | None) -> tuple[str, str]:
        # Whole numbers in [lo, hi): from ceil(lo) to ceil(hi) - 1; the smallest is 0 (1 for a
        # bucket) and a flag or bucket has a largest, so the first band of a count reads "0 to 2".
        p = self.phrasing
        floor = 1 if p.unit == "bucket" else 0
        top = {"flag": 1, "bucket": len(DPD_BUCKETS)}.get(p.unit or "")
        first = floor if lo is None else max(floor, math.ceil(lo))
        last = None if hi is None else math.ceil(hi) - 1
        if top is not None:
            last = top if last is None else min(last, top)
        # A special code (0 days past due, say) scores its own bin: the band starts or ends past it.
        while first in self.special_bin and (last is None or first < last):
            first += 1
        while last is not None and last in self.special_bin and last > first:
            last -= 1
        first_zh, first_en = p.number(first, 0)
        if last is None:
            return f"{first_zh}及以上", f"{first_en} or more"
        if last == first:
            return first_zh, first_en
        last_zh, last_en = p.number(last, 0)
        return f"{first_zh}至{last_zh}", f"{first_en} to {last_en}"

    def decimals(self, index: int, value: Any) -> int:
        """Decimals enough for the shown value to sit inside its shown band (a value a hair
        below an edge must not read as the edge itself)."""
        p = self.phrasing
        if p.categorical or p.integer or index >= self.missing:
            return p.decimals
        x = float(value)
        lo, hi = self._edges(index)
        exact = x * p.scale
        for decimals in range(p.decimals, p.decimals + _MORE_DECIMALS + 1):
            # The shown edges must hold both the shown value and the value itself.
            shown = p.shown(x, decimals)
            low = None if lo is None else p.shown(lo, decimals)
            high = None if hi is None else p.shown(hi, decimals)
            if (low is None or low <= min(shown, exact)) and (high is None or max(shown, exact) < high):
                return decimals
        return p.decimals + _MORE_DECIMALS

    def text(self, value: Any) -> tuple[str, str]:
        """The reason text (zh, en) of a value that scored below the best band."""
        p = self.phrasing
        index = self.locate(value)
        decimals = self.decimals(index, value)
        value_zh, value_en = p.value(value, decimals)
        best_zh, best_en = self.label(self.best, decimals)
        unseen = bool(self.categories) and not is_missing(value) and value not in self.category_bin \
            and value not in self.special_bin  # a category the development sample never had
        if unseen and index == self.missing:
            return (f"{p.label_zh}：{value_zh}（开发样本中未出现，按无数据计分；最优档位：{best_zh}）",
                    f"{p.label_en}: {value_en} (not seen in development, scored as no data; best band: {best_en})")
        if unseen:  # the spec's worst_bin: scored in the lowest band
            band_zh, band_en = self.label(index, decimals)
            return (f"{p.label_zh}：{value_zh}（开发样本中未出现，按最低档位计分：{band_zh}；最优档位：{best_zh}）",
                    f"{p.label_en}: {value_en} (not seen in development, scored as the lowest band: {band_en}; "
                    f"best band: {best_en})")
        if index >= self.missing:  # the value is its own band: no data, or a special code
            return f"{p.label_zh}：{value_zh}（最优档位：{best_zh}）", f"{p.label_en}: {value_en} (best band: {best_en})"
        band_zh, band_en = self.label(index, decimals)
        return (f"{p.label_zh}：{value_zh}（所在档位：{band_zh}；最优档位：{best_zh}）",
                f"{p.label_en}: {value_en} (band: {band_en}; best band: {best_en})")


def plain_text(phrasing: Phrasing, value: Any) -> tuple[str, str]:
    """The reason text (zh, en) of a model without bands (a GBM): the value, nothing it does not show."""
    value_zh, value_en = phrasing.value(value, phrasing.decimals)
    return f"{phrasing.label_zh}：{value_zh}", f"{phrasing.label_en}: {value_en}"
