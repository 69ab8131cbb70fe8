"""Risk classes by score band, each with its calibrated PD (higher score = safer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RiskBand:
    name: str
    min_score: float
    pd: float | None = None


@dataclass(frozen=True)
class RiskBands:
    """Bands from best to worst; a score belongs to the first band whose minimum it reaches."""

    bands: tuple[RiskBand, ...]

    def __post_init__(self) -> None:
        mins = [b.min_score for b in self.bands]
        if not self.bands or mins != sorted(mins, reverse=True) or mins[-1] > 0:
            raise ValueError(f"bands must run from best to worst with the last starting at 0; got {mins}")

    @classmethod
    def default(cls) -> RiskBands:
        # ARCHITECTURE.md: A >= 80, B 70-80, C 60-70, D < 60.
        return cls((RiskBand("A", 80), RiskBand("B", 70), RiskBand("C", 60), RiskBand("D", 0)))

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.bands]

    def assign(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=float)
        labels = np.full(scores.shape, self.bands[-1].name, dtype=object)
        for band in reversed(self.bands[:-1]):
            labels[scores >= band.min_score] = band.name
        return labels

    def with_pds(self, y: np.ndarray, scores: np.ndarray) -> RiskBands:
        """Each band's PD: its observed bad rate on the development sample (Jeffreys mean,
        so an empty or clean band still gets a small positive PD)."""
        labels = self.assign(scores)
        y = np.asarray(y, dtype=float)
        out = []
        for band in self.bands:
            mask = labels == band.name
            bads, n = float(y[mask].sum()), int(mask.sum())
            out.append(RiskBand(band.name, band.min_score, (bads + 0.5) / (n + 1.0)))
        return RiskBands(tuple(out))

    def to_spec(self) -> list[dict[str, Any]]:
        return [{"name": b.name, "min_score": b.min_score, "pd": b.pd} for b in self.bands]

    @classmethod
    def from_spec(cls, spec: list[dict[str, Any]]) -> RiskBands:
        return cls(tuple(RiskBand(d["name"], float(d["min_score"]), d.get("pd")) for d in spec))
