"""Reason codes: one catalogue for every model, and the top adverse SHAP contributions.

Every contribution is a SHAP value. For a scorecard, which is additive, a characteristic's
SHAP value is its points minus its mean points on the development sample (closed form, from
the compiled scorecard), and the points lost against its best bin are reported beside it; a
negative value costs points, so it is adverse. For LightGBM it is TreeSHAP (``pred_contrib``) in log-odds
of the bad event (fraud); a positive value pushes towards it, so it is adverse.

A characteristic that is missing because its whole source is missing (no POS terminal, no tax
authorisation) is reported as that source's reason, "无POS收单记录 / No POS acquiring history",
its contribution the sum over the source's characteristics: SHAP values add up, so the sum is
the source's own SHAP value.

The features are the catalogues' (``riskmodels.features.catalogue`` for the application and
fraud models, ``BEHAVIOR_FEATURES`` and ``COLLECTION_FEATURES`` for the B and C cards); this
module gives each a stable code, e.g. ``R_BUREAU_INQ_3M`` or ``R_BH_WORST_DPD_6M``, and runs the
same choice of the top adverse contributions for all four models.

A reason's text is true of the applicant (Reg B, PIPL Art. 24: specific and accurate). A SHAP
value below the mean says the value scored worse than average, not that a fixed phrase such as
"falling tax paid" holds (tax paid may have risen, by less than the best band). So no text is a
fixed adverse phrase: each states the characteristic, the applicant's own value (a special code
as its meaning, -1 = never) and, for a scorecard, the band the value fell in and the best band,
which is exactly why points were lost: "纳税额同比增长率：+7.1%（所在档位：+3.7%至+19.8%（不含）；
最优档位：+59.4%及以上） / Growth of tax paid ...: +7.1% (band: +3.7% to under +19.8%; best band:
+59.4% or more)". A GBM has no bands, so its text states the value alone; and since its SHAP can
call a value adverse that its catalogue direction calls the safest there is (never overdue,
no shared device), such a value is dropped from its adverse list rather than given as a reason.
A missing source keeps its own reason ("无POS收单记录 / No POS acquiring history").
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.decision.reason_texts import Bands, Phrasing, is_missing, plain_text
from riskmodels.features.behavior import BEHAVIOR_FEATURES
from riskmodels.features.catalogue import FEATURES, SOURCE_MISSING, FeatureInfo, source_features
from riskmodels.features.collection import COLLECTION_FEATURES
from riskmodels.scorecard.compiled import CompiledScorecard, Contribution

# The models that give reasons (the challenger is compared, never explained to a customer).
ReasonModel = Literal["application", "fraud", "behavior", "collection"]
Unit = Literal["points", "log_odds"]
# Shorter words in codes; codes are keys in downstream systems, so they never change silently
# (a test pins every code).
_ABBREVIATIONS = {"INQUIRIES": "INQ", "APPLICATIONS": "APPS"}
_TOLERANCE = 1e-9  # a contribution this close to zero is no reason
# A fraud model's reason must move the log-odds of fraud by at least this much (about 1% of the
# odds): TreeSHAP spreads crumbs over every feature, and 0.0007 told a customer nothing true.
MATERIAL_LOG_ODDS = 0.01


@dataclass(frozen=True)
class ReasonEntry:
    """One entry of the catalogue: a characteristic's adverse reason, or a missing source's."""

    code: str
    characteristic: str  # a feature name, or a source name for a missing source
    source: str
    text_zh: str
    text_en: str


def _code(name: str, abbreviations: Mapping[str, str] = _ABBREVIATIONS) -> str:
    return "R_" + "_".join(abbreviations.get(part, part) for part in name.upper().split("_"))


@dataclass(frozen=True)
class ReasonCatalogue:
    """The reasons one feature catalogue can give: one per characteristic and, where the
    catalogue groups them, one per missing source."""

    features: dict[str, ReasonEntry]
    missing_sources: dict[str, ReasonEntry]
    # Per feature, (source, the features all null when that source was not sent): looked up once
    # here, not on every missing characteristic of every answer. Empty: never grouped.
    source_checks: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]
    phrasings: dict[str, Phrasing]

    @property
    def codes(self) -> dict[str, ReasonEntry]:
        """Every reason by its code."""
        return {entry.code: entry for entry in (*self.features.values(), *self.missing_sources.values())}

    def entry(self, feature: str) -> ReasonEntry:
        entry = self.features.get(feature)
        if entry is None:
            raise ValueError(f"characteristic must be in the feature catalogue; got {feature!r}")
        return entry

    def missing_source(self, feature: str, features: Mapping[str, Any]) -> str | None:
        """The missing source that leaves ``feature`` null, or None when every source it needs is
        there (a ratio over zero, say) or the catalogue does not group: then the
        characteristic's own reason applies."""
        for source, indicators in self.source_checks[feature]:
            if all(is_missing(features.get(indicator)) for indicator in indicators):
                return source
        return None

    def uncatalogued(self, features: Iterable[str]) -> list[str]:
        """The features without a reason here, sorted."""
        return sorted(set(features) - set(self.features))

    def bands(self, card: CompiledScorecard) -> dict[str, Bands]:
        """The bands of every characteristic of ``card`` this catalogue phrases, built on first
        use and kept while the card is loaded (a live answer only looks its value up)."""
        cached = _BANDS.get(card)
        if cached is None:
            cached = {}
            for c in card.characteristics:
                phrasing = self.phrasings.get(c.name)
                if phrasing is None:
                    continue
                groups: list[list[Any]] = [[] for _ in c.bin_points]
                for category, i in getattr(c, "category_bin", {}).items():
                    groups[i].append(category)
                cached[c.name] = Bands(phrasing, c.splits if c.numeric else [], [] if c.numeric else groups,
                                       c.bin_points.tolist(), c.missing_points, c.special_bins, c.unseen)
            _BANDS[card] = cached
        return cached


def reason_catalogue(infos: Mapping[str, FeatureInfo], abbreviations: Mapping[str, str],
                     missing_sources: Mapping[str, tuple[str, str]]) -> ReasonCatalogue:
    """The reasons of a feature catalogue: codes from the names (with ``abbreviations``), texts
    from the catalogue; a characteristic left null by one of ``missing_sources`` is reported
    as that source (``{}``: each characteristic is always its own reason)."""
    # A source's reason ("No tax records") only when the whole source is absent: a tax record
    # without the tax paid is not "no tax records", and zero inflows are not "no account flow".
    indicators = {source: source_features(source) for source in missing_sources}
    return ReasonCatalogue(
        features={name: ReasonEntry(_code(name, abbreviations), name, info.source, info.adverse_zh, info.adverse_en)
                  for name, info in infos.items()},
        missing_sources={source: ReasonEntry(_code(f"no_{source}", abbreviations), source, source, zh, en)
                         for source, (zh, en) in missing_sources.items()},
        source_checks={name: tuple((source, indicators[source]) for source in info.needs if source in missing_sources)
                       for name, info in infos.items()},
        phrasings={name: Phrasing.of(info) for name, info in infos.items()})


# Per loaded scorecard, its bands (weakly held: a reloaded champion's old card goes with it).
_BANDS: weakref.WeakKeyDictionary[CompiledScorecard, dict[str, Bands]] = weakref.WeakKeyDictionary()


APPLICATION_REASONS = reason_catalogue(FEATURES, _ABBREVIATIONS, SOURCE_MISSING)
# The post-loan cards' codes were published as "R_" + the name (R_BH_NEW_INQUIRIES, unabbreviated)
# and each missing characteristic as its own reason (R_BH_TAX_TREND, never R_NO_TAX): downstream
# systems key on them, so their catalogues neither abbreviate nor group.
BEHAVIOR_REASONS = reason_catalogue(BEHAVIOR_FEATURES, {}, {})
COLLECTION_REASONS = reason_catalogue(COLLECTION_FEATURES, {}, {})
CATALOGUES: dict[ReasonModel, ReasonCatalogue] = {
    "application": APPLICATION_REASONS, "fraud": APPLICATION_REASONS,  # A card and fraud share the features
    "behavior": BEHAVIOR_REASONS, "collection": COLLECTION_REASONS,
}
_MODELS: dict[str, ReasonModel] = {model: model for model in get_args(ReasonModel)}

# The application catalogue under the names it has always had.
FEATURE_REASONS = APPLICATION_REASONS.features
MISSING_SOURCE_REASONS = APPLICATION_REASONS.missing_sources
REASON_CATALOGUE = APPLICATION_REASONS.codes


def catalogue_of(model: str) -> tuple[ReasonModel, ReasonCatalogue]:
    """The model as a plain ``ReasonModel`` (a ``config.ModelKind`` works too) and its catalogue."""
    kind = _MODELS.get(model)
    if kind is None:
        raise ValueError(f"model must be one of {list(_MODELS)}; got {model!r}")
    return kind, CATALOGUES[kind]


class ReasonCode(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable reason code, e.g. R_BUREAU_INQ_3M, R_NO_POS or R_BH_WORST_DPD_6M")
    model: ReasonModel
    feature: str = Field(description="The characteristic, or the missing source")
    value: float | str | None = Field(description="The applicant's (or account's) value (null when missing)")
    contribution: float = Field(description="SHAP value: points (scorecard, adverse < 0) or log-odds "
                                            "of the bad event (LightGBM, adverse > 0)")
    unit: Unit
    points_lost: float | None = Field(description="Scorecard only: points below the best bin")
    text_zh: str
    text_en: str


def missing_source(feature: str, features: Mapping[str, Any]) -> str | None:
    """The missing source that leaves the application feature ``feature`` null, or None when
    every source it needs is there (a ratio over zero, say): then the characteristic's own
    reason applies."""
    return APPLICATION_REASONS.missing_source(feature, features)


def _plain(value: Any) -> float | str | None:
    if is_missing(value):
        return None
    return value if isinstance(value, str) else float(value)


def top_adverse(items: Iterable[tuple[str, float, float | None]], features: Mapping[str, Any], model: str,
                unit: Unit, adverse_sign: int, top_n: int = 4, *, card: CompiledScorecard | None = None,
                drop_favourable: bool = False, minimum: float = _TOLERANCE) -> list[ReasonCode]:
    """The ``top_n`` most adverse contributions as reason codes, most adverse first.

    ``items`` are (feature, SHAP value, points lost or None); ``model`` picks the catalogue
    (application, fraud, behavior or collection); ``adverse_sign`` is -1 when a negative value
    is adverse (points) and +1 when a positive one is (log-odds of the bad). A missing source's
    characteristics are summed into one reason where the catalogue groups them; ties keep
    model order. Each text states the value; with ``card`` (the scorecard that gave the
    points) also its band and the best band. ``drop_favourable`` leaves out a value the
    catalogue calls the safest there is (``Phrasing.favourable_end``): a model without bands
    may push it towards the bad, but no true text can call it adverse. A contribution (or a
    missing source's sum) must exceed ``minimum`` to be a reason.
    """
    kind, catalogue = catalogue_of(model)
    # [entry, value, contribution, points lost]; only adverse or missing ones are kept, and a
    # text is built only for the top ones (the live path runs this twice per application, so
    # the common case stays cheap).
    candidates: list[list[Any]] = []
    by_source: dict[str, list[Any]] = {}
    phrasings = catalogue.phrasings
    for feature, shap, lost in items:
        value = features.get(feature)
        if value is not None and value == value:  # present (NaN != NaN): most characteristics
            if shap * adverse_sign > minimum and not (drop_favourable and phrasings[feature].favourable_end(value)):
                candidates.append([catalogue.entry(feature), value, shap, lost])
            continue
        entry = catalogue.entry(feature)
        source = catalogue.missing_source(feature, features)
        if source is None:  # missing while its sources are there (a ratio over zero), or not grouped
            if shap * adverse_sign > minimum:
                candidates.append([entry, None, shap, lost])
            continue
        group = by_source.get(source)
        if group is None:
            group = by_source[source] = [catalogue.missing_sources[source], None, 0.0, None]
            candidates.append(group)
        group[2] += shap
        if lost is not None:
            group[3] = (group[3] or 0.0) + lost
    adverse = [c for c in candidates if c[2] * adverse_sign > minimum]
    adverse.sort(key=lambda c: -c[2] * adverse_sign)  # stable: ties keep their order
    bands = catalogue.bands(card) if card is not None else {}
    reasons = []
    for entry, value, shap, lost in adverse[:top_n]:
        name = entry.characteristic
        if name in catalogue.missing_sources and entry is catalogue.missing_sources[name]:
            text_zh, text_en = entry.text_zh, entry.text_en  # the source's own reason
        elif name in bands:
            text_zh, text_en = bands[name].text(value)
        else:
            text_zh, text_en = plain_text(phrasings[name], value)
        reasons.append(ReasonCode(code=entry.code, model=kind, feature=name, value=_plain(value),
                                  contribution=shap, unit=unit, points_lost=lost, text_zh=text_zh, text_en=text_en))
    return reasons


def uncatalogued(features: Iterable[str], model: str = "application") -> list[str]:
    """The model features without a reason code in ``model``'s catalogue, sorted."""
    return catalogue_of(model)[1].uncatalogued(features)


def check_catalogued(features: Iterable[str], model: str = "application") -> None:
    """Raise unless every model feature has a reason code (checked once, when models load)."""
    unknown = uncatalogued(features, model)
    if unknown:
        raise ValueError(f"model features must be in the feature catalogue (for reason codes); got {unknown}")


def scorecard_reasons(contributions: Sequence[Contribution], features: Mapping[str, Any],
                      top_n: int = 4, model: str = "application", *,
                      card: CompiledScorecard | None = None) -> list[ReasonCode]:
    """Reason codes of a scorecard: characteristics scoring most below their development mean;
    with ``card`` (the scorecard that scored them) each text gives the band and the best band."""
    return top_adverse(((c.characteristic, c.shap, c.points_lost) for c in contributions), features,
                       model, "points", -1, top_n, card=card)


def gbm_reasons(shap_values: Sequence[float], names: Sequence[str], features: Mapping[str, Any],
                model: str = "fraud", top_n: int = 4) -> list[ReasonCode]:
    """Reason codes of a LightGBM model from one row of ``pred_contrib`` (bias column excluded).

    A value at the safe end of its catalogue direction is no reason, however the trees weigh it
    (``pb_months_since_overdue = -1``, never overdue, has pushed towards fraud): it is left out
    and the next adverse one takes its place. A contribution under ``MATERIAL_LOG_ODDS`` is no
    reason."""
    if len(shap_values) != len(names):
        raise ValueError(f"shap_values must have one value per feature ({len(names)}); got {len(shap_values)}")
    return top_adverse(zip(names, shap_values, repeat(None)), features, model, "log_odds", 1, top_n,
                       drop_favourable=True, minimum=MATERIAL_LOG_ODDS)
