"""Points scaling: the odds-to-points line of a scorecard.

``points = offset + factor * ln(odds of good)`` with ``factor = pdo / ln 2`` and
``offset = base_points - factor * ln(base_odds)``: the score is ``base_points`` where the
odds good:bad are ``base_odds``, and every ``pdo`` points the odds double. This is the same
line optbinning uses for ``scaling_method="pdo_odds"``, so our points and its points agree.

Only the standard library and numpy: the compiled scorer imports this at serving time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayOrFloat = float | FloatArray


@dataclass(frozen=True)
class ScoreScale:
    """Where the score line sits (``base_points`` at ``base_odds`` good:bad), its slope
    (``pdo``: points to double the odds) and the range the final score is clipped to."""

    base_points: float = 60.0
    base_odds: float = 20.0
    pdo: float = 10.0
    min_score: float = 0.0
    max_score: float = 100.0

    def __post_init__(self) -> None:
        for name in ("base_points", "base_odds", "pdo", "min_score", "max_score"):
            if not math.isfinite(getattr(self, name)):  # NaN or infinity: every PD would be NaN
                raise ValueError(f"{name} must be a finite number; got {getattr(self, name)}")
        if not self.pdo > 0:
            raise ValueError(f"pdo must be positive; got {self.pdo}")
        if not self.base_odds > 0:
            raise ValueError(f"base_odds must be positive; got {self.base_odds}")
        if not self.min_score < self.max_score:
            raise ValueError(
                f"min_score must be below max_score; got {self.min_score} and {self.max_score}")

    @property
    def factor(self) -> float:
        """Points per unit of log-odds."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Points at even odds (log-odds 0)."""
        return self.base_points - self.factor * math.log(self.base_odds)

    @overload
    def to_points(self, pd: float) -> float: ...
    @overload
    def to_points(self, pd: FloatArray) -> FloatArray: ...
    def to_points(self, pd: ArrayOrFloat) -> ArrayOrFloat:
        """Unclipped points of a probability of default (bad)."""
        pd_arr = np.asarray(pd, dtype=float)
        points = self.offset + self.factor * np.log((1.0 - pd_arr) / pd_arr)
        return float(points) if points.ndim == 0 else points

    @overload
    def to_pd(self, points: float) -> float: ...
    @overload
    def to_pd(self, points: FloatArray) -> FloatArray: ...
    def to_pd(self, points: ArrayOrFloat) -> ArrayOrFloat:
        """Probability of default (bad) of a score; the inverse of ``to_points``."""
        log_odds_bad = -(np.asarray(points, dtype=float) - self.offset) / self.factor
        pd_arr = 1.0 / (1.0 + np.exp(-log_odds_bad))
        return float(pd_arr) if pd_arr.ndim == 0 else pd_arr

    @overload
    def to_log_odds_bad(self, points: float) -> float: ...
    @overload
    def to_log_odds_bad(self, points: FloatArray) -> FloatArray: ...
    def to_log_odds_bad(self, points: ArrayOrFloat) -> ArrayOrFloat:
        """Log-odds of bad of (unclipped) points: ``(offset - points) / factor``."""
        value = (self.offset - np.asarray(points, dtype=float)) / self.factor
        return float(value) if value.ndim == 0 else value

    @overload
    def clip(self, points: float) -> float: ...
    @overload
    def clip(self, points: FloatArray) -> FloatArray: ...
    def clip(self, points: ArrayOrFloat) -> ArrayOrFloat:
        """The final, reported score: points limited to ``[min_score, max_score]``."""
        clipped = np.clip(np.asarray(points, dtype=float), self.min_score, self.max_score)
        return float(clipped) if clipped.ndim == 0 else clipped

    def optbinning_params(self) -> dict[str, float]:
        """``scaling_method_params`` of ``optbinning.Scorecard`` for the same line."""
        return {"pdo": self.pdo, "odds": self.base_odds, "scorecard_points": self.base_points}

    def to_dict(self) -> dict[str, float]:
        return {"base_points": self.base_points, "base_odds": self.base_odds, "pdo": self.pdo,
                "min_score": self.min_score, "max_score": self.max_score}
