"""Reason codes: one catalogue for every model, and the top adverse SHAP contributions.

Every contribution is a SHAP value. For a scorecard, which is additive, a characteristic's
SHAP value is its points minus its mean points on the development sample (closed form, from
the compiled scorecard), and the points lost against its best bin are reported beside it; a
negative value costs points, so it is adverse. For LightGBM it is ``pred_contrib`` in log-odds
of the bad event (fraud); a positive value pushes towards it, so it is adverse.

A characteristic that is missing because its whole source is missing (no POS terminal, no tax
authorisation) is reported as that source's reason, "无POS收单记录 / No POS acquiring history",
its contribution the sum over the source's characteristics: SHAP values add up, so the sum is
the source's own SHAP value.

The texts are the feature catalogue's (``riskmodels.features.catalogue``); this module only
gives each a stable code, e.g. ``R_BUREAU_INQ_3M``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.features.catalogue import FEATURES, SOURCE_MISSING
from riskmodels.scorecard.compiled import Contribution

ModelKind = Literal["application", "fraud"]
Unit = Literal["points", "log_odds"]
# Shorter words in codes; codes are keys in downstream systems, so they never change silently
# (a test pins every code).
_ABBREVIATIONS = {"INQUIRIES": "INQ", "APPLICATIONS": "APPS"}
_TOLERANCE = 1e-9  # a contribution this close to zero is no reason


@dataclass(frozen=True)
class ReasonEntry:
    """One entry of the catalogue: a characteristic's adverse reason, or a missing source's."""

    code: str
    characteristic: str  # a feature name, or a source name for a missing source
    source: str
    text_zh: str
    text_en: str


def _code(name: str) -> str:
    return "R_" + "_".join(_ABBREVIATIONS.get(part, part) for part in name.upper().split("_"))


FEATURE_REASONS: dict[str, ReasonEntry] = {
    name: ReasonEntry(_code(name), name, info.source, info.adverse_zh, info.adverse_en)
    for name, info in FEATURES.items()
}
MISSING_SOURCE_REASONS: dict[str, ReasonEntry] = {
    source: ReasonEntry(_code(f"no_{source}"), source, source, zh, en) for source, (zh, en) in SOURCE_MISSING.items()
}
REASON_CATALOGUE: dict[str, ReasonEntry] = {
    entry.code: entry for entry in (*FEATURE_REASONS.values(), *MISSING_SOURCE_REASONS.values())
}


def _source_indicators() -> dict[str, str]:
    """Per source, the feature that tells whether it is there at all: the first needing it alone."""
    indicators: dict[str, str] = {}
    for name, info in FEATURES.items():
        if len(info.needs) == 1:
            indicators.setdefault(info.needs[0], name)
    return indicators


_SOURCE_INDICATOR = _source_indicators()
# Per feature, (source, the feature telling whether that source is there): looked up once here,
# not on every missing characteristic of every answer.
_SOURCE_CHECKS: dict[str, tuple[tuple[str, str], ...]] = {
    name: tuple((source, _SOURCE_INDICATOR.get(source, name)) for source in info.needs)
    for name, info in FEATURES.items()
}


class ReasonCode(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable reason code, e.g. R_BUREAU_INQ_3M or R_NO_POS")
    model: ModelKind
    feature: str = Field(description="The characteristic, or the missing source")
    value: float | str | None = Field(description="The applicant's value (null when missing)")
    contribution: float = Field(description="SHAP value: points (scorecard, adverse < 0) or log-odds "
                                            "of the bad event (LightGBM, adverse > 0)")
    unit: Unit
    points_lost: float | None = Field(description="Scorecard only: points below the best bin")
    text_zh: str
    text_en: str


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def missing_source(feature: str, features: Mapping[str, Any]) -> str | None:
    """The missing source that leaves ``feature`` null, or None when every source it needs is
    there (a ratio over zero, say): then the characteristic's own reason applies."""
    for source, indicator in _SOURCE_CHECKS[feature]:
        if is_missing(features.get(indicator)):
            return source
    return None


def _plain(value: Any) -> float | str | None:
    if is_missing(value):
        return None
    return value if isinstance(value, str) else float(value)


def top_adverse(items: Iterable[tuple[str, float, float | None]], features: Mapping[str, Any], model: ModelKind,
                unit: Unit, adverse_sign: int, top_n: int = 4) -> list[ReasonCode]:
    """The ``top_n`` most adverse contributions as reason codes, most adverse first.

    ``items`` are (feature, SHAP value, points lost or None); ``adverse_sign`` is -1 when a
    negative value is adverse (points) and +1 when a positive one is (log-odds of the bad).
    A missing source's characteristics are summed into one reason; ties keep model order.
    """
    # [entry, value, contribution, points lost]; only adverse or missing ones are kept, and a
    # value is made plain only for the top ones (the live path runs this twice per application,
    # so the common case stays cheap).
    candidates: list[list[Any]] = []
    by_source: dict[str, list[Any]] = {}
    for feature, shap, lost in items:
        value = features.get(feature)
        if value is not None and value == value:  # present (NaN != NaN): most characteristics
            if shap * adverse_sign > _TOLERANCE:
                candidates.append([_reason_of(feature), value, shap, lost])
            continue
        source = missing_source(_reason_of(feature).characteristic, features)
        if source is None:  # missing while its sources are there (a ratio over zero)
            if shap * adverse_sign > _TOLERANCE:
                candidates.append([FEATURE_REASONS[feature], None, shap, lost])
            continue
        group = by_source.get(source)
        if group is None:
            group = by_source[source] = [MISSING_SOURCE_REASONS[source], None, 0.0, None]
            candidates.append(group)
        group[2] += shap
        if lost is not None:
            group[3] = (group[3] or 0.0) + lost
    adverse = [c for c in candidates if c[2] * adverse_sign > _TOLERANCE]
    adverse.sort(key=lambda c: -c[2] * adverse_sign)  # stable: ties keep their order
    return [ReasonCode(code=entry.code, model=model, feature=entry.characteristic, value=_plain(value),
                       contribution=shap, unit=unit, points_lost=lost, text_zh=entry.text_zh, text_en=entry.text_en)
            for entry, value, shap, lost in adverse[:top_n]]


def _reason_of(feature: str) -> ReasonEntry:
    entry = FEATURE_REASONS.get(feature)
    if entry is None:
        raise ValueError(f"characteristic must be in the feature catalogue; got {feature!r}")
    return entry


def check_catalogued(features: Iterable[str]) -> None:
    """Raise unless every model feature has a reason code (checked once, when models load)."""
    unknown = sorted(set(features) - set(FEATURES))
    if unknown:
        raise ValueError(f"model features must be in the feature catalogue (for reason codes); got {unknown}")


def scorecard_reasons(contributions: Sequence[Contribution], features: Mapping[str, Any],
                      top_n: int = 4) -> list[ReasonCode]:
    """Reason codes of a scorecard: characteristics scoring most below their development mean."""
    return top_adverse(((c.characteristic, c.shap, c.points_lost) for c in contributions), features,
                       "application", "points", -1, top_n)


def gbm_reasons(shap_values: Sequence[float], names: Sequence[str], features: Mapping[str, Any],
                model: ModelKind = "fraud", top_n: int = 4) -> list[ReasonCode]:
    """Reason codes of a LightGBM model from one row of ``pred_contrib`` (bias column excluded)."""
    if len(shap_values) != len(names):
        raise ValueError(f"shap_values must have one value per feature ({len(names)}); got {len(shap_values)}")
    return top_adverse(zip(names, shap_values, repeat(None)), features, model, "log_odds", 1, top_n)
