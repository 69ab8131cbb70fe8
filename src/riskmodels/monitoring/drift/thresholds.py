"""Thresholds of the drift and back-testing report, typed and loaded from YAML.

The defaults live in ``drift_thresholds.yaml`` beside this module, with the reason for each;
a bank passes its own file. Nothing in the drift code compares against a bare number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskmodels.config_files import load_yaml

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.yaml")
Status = Literal["green", "amber", "red"]
STATUS_ORDER: dict[str, int] = {"green": 0, "amber": 1, "red": 2}


class Band(BaseModel):
    """Two cut-offs. ``amber < red``: higher is worse; ``amber > red``: lower is worse (p-values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amber: float
    red: float

    @model_validator(mode="after")
    def _distinct(self) -> Band:
        if self.amber == self.red:
            raise ValueError(f"amber and red must differ; got {self.amber} for both")
        return self

    @property
    def higher_is_worse(self) -> bool:
        return self.amber < self.red

    def status(self, value: float) -> Status:
        if value != value:  # NaN: a statistic that cannot be computed is not a pass
            return "amber"
        if self.higher_is_worse:
            return "red" if value >= self.red else "amber" if value >= self.amber else "green"
        return "red" if value < self.red else "amber" if value < self.amber else "green"


class DriftThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    score_psi: Band
    csi: Band
    class_distribution_psi: Band
    monthly_psi: Band
    min_rows_per_month: int = Field(ge=1)
    score_bins: int = Field(ge=2)
    missing_rate_change: Band
    special_code_change: Band
    class_migration: Band
    migration_min_overlap: float = Field(gt=0, le=1)
    min_outcomes: int = Field(ge=10)
    auc_drop_pvalue: Band
    ks_relative_drop: Band
    hosmer_lemeshow_pvalue: Band
    jeffreys_failures: Band
    binomial_failures: Band
    class_test_alpha: float = Field(gt=0, lt=1)
    herfindahl: Band
    not_monotone: Literal["amber", "red"]


def load_thresholds(path: Path | None = None) -> DriftThresholds:
    """The thresholds YAML (default: the packaged one), validated; errors name the field."""
    path = Path(path) if path is not None else DEFAULT_THRESHOLDS
    return load_yaml(DriftThresholds, path, "thresholds", "thresholds")


def worst(statuses: list[Status]) -> Status:
    """The overall status: the worst of the checks (green when there are none)."""
    return max(statuses, key=STATUS_ORDER.__getitem__, default="green")
