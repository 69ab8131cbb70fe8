"""The top adverse reasons of every row at once: the vectorised twin of ``reasons.top_adverse``.

The choice is the scalar one: a present value is a candidate when its contribution is adverse
(and, for a model without bands, not at the safe end of its catalogue direction, so every
reason can be said truly of the value); a missing value whose source is missing joins that
source's one reason, its contribution the sum of its members' in model order, placed where
its first member stands; the rest of the missing values stand alone. A stable sort on the
adverse size then keeps ties in model order, as the scalar sort does, and the first
``top_n`` are the reasons. The frame carries their codes; their texts are the scalar path's
(``decide`` states each value and its band).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.decision.reason_texts import Phrasing, is_missing, plain_text
from riskmodels.decision.reasons import _TOLERANCE, ReasonCatalogue, ReasonCode, _plain, catalogue_of
from riskmodels.scorecard.compiled import CompiledScorecard

TOP_NONE = -1


def favourable_end(phrasing: Phrasing, values: pd.Series, present: np.ndarray) -> np.ndarray:
    """``Phrasing.favourable_end`` over a column: a special code, zero or less of a thing where
    more is riskier, or a flag at yes where yes is safer."""
    if phrasing.categorical:
        return np.zeros(len(values), dtype=bool)
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)  # a text: no number
    safe = np.isin(x, list(phrasing.special_en))
    if phrasing.direction == 1:
        safe |= x <= 0
    elif phrasing.direction == -1 and phrasing.unit == "flag":
        safe |= x >= 1
    return present & safe


def top_adverse_codes(shap: np.ndarray, names: Sequence[str], features: pd.DataFrame, catalogue: ReasonCatalogue,
                      adverse_sign: int, top_n: int, *, drop_favourable: bool = False,
                      minimum: float = _TOLERANCE) -> list[list[str]]:
    """Per row, the codes of the ``top_n`` most adverse contributions, most adverse first.

    ``shap`` is rows x ``names`` (points for a scorecard, ``adverse_sign`` -1; log-odds for a
    GBM, +1); ``features`` holds every feature a name or a missing-source indicator needs."""
    top = top_adverse_index(shap, names, features, catalogue, adverse_sign, top_n, drop_favourable=drop_favourable,
                            minimum=minimum)
    codes = [catalogue.entry(name).code for name in names]
    codes += [entry.code for entry in catalogue.missing_sources.values()]
    key = np.zeros(len(top), dtype=np.int64)
    for j in range(top.shape[1]):  # the row of indices as one number, base len(codes) + 1
        key = key * (len(codes) + 1) + (top[:, j] + 1)
    return spelled_once(key, lambda i: [codes[c] for c in top[i].tolist() if c != TOP_NONE])


def top_adverse_index(shap: np.ndarray, names: Sequence[str], features: pd.DataFrame, catalogue: ReasonCatalogue,
                      adverse_sign: int, top_n: int, *, drop_favourable: bool = False,
                      minimum: float = _TOLERANCE) -> np.ndarray:
    """Rows x ``top_n``: the index of each reason, most adverse first: ``j`` < len(names) for
    ``names[j]``, len(names) + s for the s-th of the catalogue's missing sources, ``TOP_NONE``
    past the last reason."""
    n, m = shap.shape
    sources = list(catalogue.missing_sources)
    missing_cache: dict[str, np.ndarray] = {}

    def missing(feature: str) -> np.ndarray:
        if feature not in missing_cache:
            missing_cache[feature] = (features[feature].isna().to_numpy(dtype=bool) if feature in features.columns
                                      else np.ones(n, dtype=bool))
        return missing_cache[feature]

    size = np.full((n, m), np.inf)  # the sort key: -contribution x sign, +inf for no candidate
    code = np.broadcast_to(np.arange(m), (n, m)).copy()
    group = np.full((n, m), -1)  # per missing value, the index of the missing source it joins
    for j, name in enumerate(names):
        absent = missing(name)
        column = shap[:, j]
        alone = column * adverse_sign > minimum
        if drop_favourable:
            alone &= ~favourable_end(catalogue.phrasings[name], features[name], ~absent)
        for source, indicators in reversed(catalogue.source_checks[name]):  # the first missing source wins
            whole = np.logical_and.reduce([missing(indicator) for indicator in indicators])
            group[:, j] = np.where(absent & whole, sources.index(source), group[:, j])
        alone &= group[:, j] < 0
        size[:, j] = np.where(alone, -column * adverse_sign, np.inf)
    rows = np.arange(n)
    for s, source in enumerate(sources):
        able = [j for j, name in enumerate(names) if any(source == c for c, _ in catalogue.source_checks[name])]
        members = group == s
        if not able or not members.any():
            continue
        total = np.zeros(n)
        for j in able:  # summed in model order, as the scalar path adds them
            total = np.where(members[:, j], total + shap[:, j], total)
        first = np.argmax(members, axis=1)
        joined = members.any(axis=1) & (total * adverse_sign > minimum)
        size[rows[joined], first[joined]] = -total[joined] * adverse_sign
        code[rows[joined], first[joined]] = len(names) + s
    order = np.argsort(size, axis=1, kind="stable")[:, :top_n]
    return np.where(np.take_along_axis(size, order, axis=1) < np.inf, np.take_along_axis(code, order, axis=1),
                    TOP_NONE)


def scorecard_reasons_frame(card: CompiledScorecard, points: np.ndarray, features: pd.DataFrame, model: str,
                            top_n: int) -> list[list[ReasonCode]]:
    """``reasons.scorecard_reasons(..., card=card)`` of every row, from the rows x characteristics
    ``points``: the choice on arrays, a ``ReasonCode`` (its text stating the value, its band and
    the best band) made only for the chosen, each distinct text once. For catalogues that do
    not group missing sources (the B and C cards')."""
    kind, catalogue = catalogue_of(model)
    if catalogue.missing_sources:
        raise ValueError(f"model must have a catalogue without missing-source reasons; got {model!r}")
    names = list(card.features)
    shap = points - np.array([card.mean_points[name] for name in names])
    lost = np.array([card.max_points[name] for name in names]) - points
    top = top_adverse_index(shap, names, features, catalogue, -1, top_n)
    values = features[names].to_numpy(dtype=object)
    bands = catalogue.bands(card)
    texts: dict[tuple[int, Any], tuple[str, str]] = {}
    out = []
    for i, row in enumerate(top.tolist()):
        reasons = []
        for j in row:
            if j == TOP_NONE:
                break
            name, value = names[j], values[i, j]
            value = None if is_missing(value) else value
            text = texts.get((j, value))
            if text is None:
                text = texts[(j, value)] = (bands[name].text(value) if name in bands
                                            else plain_text(catalogue.phrasings[name], value))
            reasons.append(ReasonCode(code=catalogue.features[name].code, model=kind, feature=name,
                                      value=_plain(value), contribution=float(shap[i, j]), unit="points",
                                      points_lost=float(lost[i, j]), text_zh=text[0], text_en=text[1]))
        out.append(reasons)
    return out


def spelled_once(key: np.ndarray, spell: Callable[[int], list[str]]) -> list[list[str]]:
    """Per row, ``spell(row)``, called once per distinct ``key`` (rows share few answers); each
    row gets its own list."""
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    spelled = [spell(int(i)) for i in first]
    # Lists of strings hold no cycles, yet making a million of them would set off full cyclic
    # collections over everything the process holds (seconds, not the milliseconds of the lists).
    paused = gc.isenabled()
    gc.disable()
    try:
        return [spelled[i].copy() for i in inverse.reshape(-1).tolist()]
    finally:
        if paused:
            gc.enable()
