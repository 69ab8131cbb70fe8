"""The master scale: the bank's grades with PD ranges, one scale for the A, B and C cards.

Configured in ``master_scale.yaml`` (or inline under ``master_scale:`` in a policy file) and
validated here. Risk classes, limits and pricing read their PDs from it: a class's PD is the
grade PD at its central score (``class_pds``), and ``risk_based`` pricing with ``pd_source:
grade`` prices the applicant's own grade PD. Pure: no model, registry or training import.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskmodels.config_files import load_yaml

DEFAULT_MASTER_SCALE_PATH = Path(__file__).with_name("master_scale.yaml")


class Grade(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    max_pd: float = Field(gt=0, le=1, description="Upper bound of the grade's PD range (exclusive)")
    pd: float = Field(gt=0, lt=1, description="The grade's PD: what pricing and expected loss use")


class MasterScale(BaseModel):
    """Grades best first; a PD belongs to the first grade whose ``max_pd`` it is below."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field("1", min_length=1)
    grades: list[Grade] = Field(min_length=2)

    @model_validator(mode="after")
    def _check(self) -> Self:
        bounds = [g.max_pd for g in self.grades]
        if any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)) or bounds[-1] != 1:
            raise ValueError(f"grades must have strictly rising max_pd ending at 1; got {bounds}")
        names = [g.name for g in self.grades]
        if len(set(names)) != len(names):
            raise ValueError(f"grades must have unique names; got {names}")
        low = 0.0
        for grade in self.grades:
            if not low <= grade.pd < grade.max_pd:
                raise ValueError(f"grade {grade.name}: pd must lie in its range [{low:g}, {grade.max_pd:g}); "
                                 f"got {grade.pd:g}")
            low = grade.max_pd
        return self

    @cached_property
    def _bounds(self) -> list[float]:
        return [g.max_pd for g in self.grades[:-1]]

    def grade_of(self, pd: float) -> Grade:
        """The grade of a PD (a NaN PD: the worst grade, never an empty answer)."""
        if pd != pd:
            return self.grades[-1]
        return self.grades[bisect_right(self._bounds, pd)]

    def pd_range(self, name: str) -> tuple[float, float]:
        low = 0.0
        for grade in self.grades:
            if grade.name == name:
                return low, grade.max_pd
            low = grade.max_pd
        raise KeyError(f"no grade {name!r} in the master scale {[g.name for g in self.grades]}")

    def class_pds(self, class_min_scores: dict[str, float], pd_at_score: Callable[[float], float],
                  max_score: float = 100.0) -> dict[str, float]:
        """Each score class's PD: the grade PD at the middle of its score band (best class first,
        each band from its ``min_score`` up to the next better class's, the best up to
        ``max_score``; the worst, open down to 0, taken as wide as the class above it, where its
        applicants are); ``pd_at_score`` is the scorecard's line from points to calibrated PD."""
        out, upper, width = {}, max_score, 0.0
        ordered = sorted(class_min_scores.items(), key=lambda item: -item[1])
        for i, (name, low) in enumerate(ordered):
            if i == len(ordered) - 1 and i > 0:
                low = max(low, upper - width)
            out[name] = self.grade_of(float(pd_at_score((low + upper) / 2))).pd
            upper, width = low, upper - low
        return out


def load_master_scale(path: Path | None = None) -> MasterScale:
    """The master scale YAML (default: the packaged ``master_scale.yaml``), validated."""
    from riskmodels.policy.loader import PolicyError

    return load_yaml(MasterScale, Path(path) if path is not None else DEFAULT_MASTER_SCALE_PATH,
                     "master scale", "master_scale", PolicyError)


@lru_cache(maxsize=1)
def default_master_scale() -> MasterScale:
    return load_master_scale()
