"""The score limits are sized on (policy ``limits.sized_with_missing_at_worst``).

The A card prices a missing source from its own bin: missing is information (DOMAIN §2), and a
business without POS or tax data may well be a better risk than one with a poor record. The
bank's rule is stricter for limits: removing a data source never raises the pre-approved limit.
So the limit score is the score with every characteristic that draws on a missing source of
the policy's list held at its worst bin (the fewest points any value scores). Removing a
source can then only lower it: the characteristics drawing on that source fall to their worst,
the rest keep their points. A characteristic over the observed revenue draws on the account
flow and the tax data both (the revenue is the larger of the two).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from riskmodels.decision.reason_texts import is_missing
from riskmodels.features.catalogue import DERIVED_SOURCES, FEATURES
from riskmodels.scorecard.compiled import CompiledScorecard, Contribution


def sources_drawn_on(feature: str) -> frozenset[str]:
    """The data sources a feature's value depends on (its catalogue ``needs``, expanded)."""
    found: set[str] = set()
    for need in FEATURES[feature].needs:
        found.update(DERIVED_SOURCES.get(need, (need,)))
    return frozenset(found)


def _indicator(source: str) -> str:
    """The feature telling whether ``source`` is there at all: the first needing it alone."""
    for name, info in FEATURES.items():
        if info.needs == (source,):
            return name
    raise ValueError(f"source must be needed alone by some catalogued feature; got {source!r}")


@dataclass(frozen=True)
class LimitSizing:
    """For one A card and the policy's sources: each characteristic's worst points and the
    sources it draws on, in the card's order."""

    worst: tuple[float, ...]
    held_if_missing: tuple[frozenset[str], ...]  # of the policy's sources, those each characteristic draws on
    indicators: tuple[tuple[str, str], ...]  # (source, feature telling whether it is there)

    @classmethod
    def of(cls, card: CompiledScorecard, sources: Iterable[str]) -> LimitSizing:
        chosen = frozenset(sources)
        return cls(tuple(c.min_points for c in card.characteristics),
                   tuple(sources_drawn_on(c.name) & chosen for c in card.characteristics),
                   tuple((source, _indicator(source)) for source in sorted(chosen)))

    def missing_sources(self, features: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(source for source, feature in self.indicators if is_missing(features.get(feature)))

    def points(self, contributions: Sequence[Contribution], features: Mapping[str, Any]) -> float:
        """The unclipped limit score: the card's points, with the characteristics drawing on a
        missing source held at their worst (summed in the card's order, as the score is)."""
        missing = self.missing_sources(features)
        total = 0.0
        for contribution, worst, held in zip(contributions, self.worst, self.held_if_missing, strict=True):
            total += worst if held & missing else contribution.points
        return total
