"""The second score after offline due diligence (seed 000 §五, 二次评分): its settings.

Configured in ``diligence.yaml`` (or inline under ``diligence:`` in a policy file), validated
here. Two ways to merge the findings with the A card, both on the A card's own line:

- ``logit``: a logistic model of the A card's log-odds of bad and five finding features,
  fitted on simulated field findings (``riskmodels.training.diligence``, the fit recorded
  under ``provenance``);
- ``points``: a documented adjustment, points per finding band added to the A card's points.

``benchmarks/diligence.py`` measures both against the simulator's true PD; ``method`` says
which one answers. Every coefficient and band is checked to be monotone: better findings never
lower the second score. Pure: no model, registry or training import.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskmodels.config_files import load_yaml

DEFAULT_DILIGENCE_PATH = Path(__file__).with_name("diligence.yaml")

# The finding features (riskmodels.decision.diligence.finding_features): three activity ratios
# (log of the finding over the declared monthly revenue, less the industry's norm), whether the
# site was NOT verified, and the owner's assessment less 3. Higher is better for all but the site.
ACTIVITY = ("receipts", "utilities", "footfall")
FEATURES = (*ACTIVITY, "site_not_verified", "owner_assessment")


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Norms(_Settings):
    """Each activity ratio's typical value: per industry, and overall for an industry not listed."""

    overall: float
    by_industry: dict[str, float] = Field(default_factory=dict)

    def of(self, industry: str | None) -> float:
        return self.by_industry.get(industry or "", self.overall)


class LogitScore(_Settings):
    """log-odds of bad = intercept + a_card x (A card's log-odds of bad) + sum of coefficient x feature."""

    intercept: float
    a_card: float = Field(gt=0, description="Weight of the A card's log-odds of bad")
    coefficients: dict[str, float]

    @model_validator(mode="after")
    def _check(self) -> Self:
        unknown = sorted(set(self.coefficients) - set(FEATURES))
        if unknown:
            raise ValueError(f"coefficients must name features of {list(FEATURES)}; got {unknown}")
        for name, value in self.coefficients.items():
            # On the log-odds of bad: a better finding must lower it (the site's flag raises it).
            wrong = value < 0 if name == "site_not_verified" else value > 0
            if wrong:
                sign = "at least 0" if name == "site_not_verified" else "at most 0"
                raise ValueError(f"coefficients.{name} must be {sign} (a better finding never lowers the "
                                 f"score); got {value:g}")
        return self


class Band(_Settings):
    below: float | None = Field(description="Upper bound of the band (exclusive); null: the last band")
    points: float


class PointsAdjustment(_Settings):
    """Points added to the A card's (unclipped) points: per band of each activity ratio, per step
    of the owner's assessment from 3, and for a site not verified."""

    activity_bands: list[Band] = Field(min_length=1)
    owner_points_per_step: float = Field(ge=0)
    site_not_verified: float = Field(le=0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        bounds = [b.below for b in self.activity_bands]
        if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            raise ValueError(f"activity_bands must end with one band whose below is null; got {bounds}")
        edges = [b for b in bounds[:-1] if b is not None]
        if edges != sorted(set(edges)):
            raise ValueError(f"activity_bands must have strictly rising bounds; got {edges}")
        points = [b.points for b in self.activity_bands]
        if points != sorted(points):
            raise ValueError(f"activity_bands' points must never fall from one band to the next; got {points}")
        return self

    def activity_points(self, value: float) -> float:
        for band in self.activity_bands:
            if band.below is None or value < band.below:
                return band.points
        return self.activity_bands[-1].points


class Provenance(_Settings):
    """Where the fitted numbers come from, so a validator can redo them."""

    command: str
    data: str = Field(description="The book the fit and the test came from (generator, seed, size)")
    population: str
    model: str = Field(description="The A card whose log-odds the fit read")
    fitted_at: str
    metrics: dict[str, float] = Field(default_factory=dict)


class DiligenceSettings(_Settings):
    method: Literal["logit", "points"]
    clip: float = Field(3.0, gt=0, description="Activity ratios are held within +-clip (log units)")
    norms: dict[str, Norms]
    logit: LogitScore
    points: PointsAdjustment
    # The rules the visit answers: the grey zone's review and the amount above the pre-approved
    # limit. Any other review rule (term, collateral, owner's age...) still goes to a person.
    resolves: list[str] = Field(default_factory=lambda: ["BAND_MIDDLE", "LIMIT_ABOVE_PREAPPROVED"])
    provenance: Provenance

    @model_validator(mode="after")
    def _check(self) -> Self:
        if sorted(self.norms) != sorted(ACTIVITY):
            raise ValueError(f"norms must give exactly the activity ratios {list(ACTIVITY)}; got {sorted(self.norms)}")
        return self


def load_diligence(path: Path | None = None) -> DiligenceSettings:
    """The due-diligence YAML (default: the packaged ``diligence.yaml``), validated."""
    from riskmodels.policy.loader import PolicyError

    return load_yaml(DiligenceSettings, Path(path) if path is not None else DEFAULT_DILIGENCE_PATH,
                     "due-diligence settings", "diligence", PolicyError)


@lru_cache(maxsize=1)
def default_diligence() -> DiligenceSettings:
    return load_diligence()
