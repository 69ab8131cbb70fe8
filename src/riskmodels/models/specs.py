"""Registered model spec → scorer of raw contract rows.

Every registered model is stored as one JSON spec: what kind it is, which contract table it
reads, and the compiled model. This module is the one place that turns a spec back into
something that scores, for the MLflow pyfunc, batch scoring and the service alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from riskmodels.policy.risk_classes import RiskBands

if TYPE_CHECKING:
    from riskmodels.models.challenger import GBMChallenger
    from riskmodels.models.fraud import FraudModel
    from riskmodels.scorecard.compiled import CompiledScorecard

SPEC_VERSION = 1
ModelType = Literal["scorecard", "fraud", "application_challenger"]

# The feature builder of each contract table: the same code as training and the API.
FEATURE_BUILDERS = {
    "applications": ("riskmodels.features", "build_features"),
    "behavior_snapshots": ("riskmodels.features.behavior", "build_behavior_features"),
    "collection_cases": ("riskmodels.features.collection", "build_collection_features"),
}


def feature_builder(input_table: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    if input_table not in FEATURE_BUILDERS:
        raise ValueError(f"input_table must be one of {sorted(FEATURE_BUILDERS)}; got {input_table!r}")
    module, name = FEATURE_BUILDERS[input_table]
    build: Callable[[pd.DataFrame], pd.DataFrame] = getattr(import_module(module), name)
    return build


def make_spec(model_type: ModelType, input_table: str, model: dict[str, Any],
              bands: RiskBands | None = None) -> dict[str, Any]:
    feature_builder(input_table)  # fail now, not when the service loads it
    spec: dict[str, Any] = {"spec_version": SPEC_VERSION, "model_type": model_type,
                            "input_table": input_table, "model": model}
    if bands is not None:
        spec["risk_classes"] = bands.to_spec()
    return spec


@dataclass(frozen=True)
class ScorecardScorer:
    """A compiled scorecard with its feature builder and risk classes."""

    scorecard: CompiledScorecard
    bands: RiskBands
    build: Callable[[pd.DataFrame], pd.DataFrame]

    def score_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        features = self.build(rows)
        points = self.scorecard.score_frame(features, clip=False)  # once: the PD is of the unclipped score
        score = self.scorecard.scale.clip(points)
        return pd.DataFrame({"score": score, "pd": self.scorecard.pd_from_points(points),
                             "risk_class": self.bands.assign(score)}, index=rows.index)


@dataclass(frozen=True)
class GBMScorer:
    """The fraud model or the A-card challenger, on raw rows."""

    model: FraudModel | GBMChallenger
    build: Callable[[pd.DataFrame], pd.DataFrame]

    def score_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        features = self.build(rows)
        if self.model.kind == "fraud":
            assessed = self.model.assess(features)
            return pd.DataFrame({"fraud_probability": assessed.probability, "fraud_score": assessed.score,
                                 "fraud_verdict": assessed.verdict}, index=rows.index)
        return pd.DataFrame({"pd": np.asarray(self.model.predict_pd(features))}, index=rows.index)


def load_model(data: dict[str, Any]) -> FraudModel | GBMChallenger:
    """Rebuild whichever gradient-boosted model ``to_dict`` produced: a ``FraudModel`` or a
    ``GBMChallenger``."""
    # Imported here: a scorecard-only process (the B and C cards) never loads LightGBM.
    from riskmodels.models.challenger import GBMChallenger
    from riskmodels.models.fraud import FraudModel

    for cls in (FraudModel, GBMChallenger):
        if data.get("kind") == cls.kind:
            return cls.from_dict(data)
    raise ValueError(f"kind must be 'fraud' or 'application_challenger'; got {data.get('kind')!r}")


def scorer_from_spec(spec: dict[str, Any]) -> ScorecardScorer | GBMScorer:
    if spec.get("spec_version") != SPEC_VERSION:
        raise ValueError(f"spec_version must be {SPEC_VERSION}; got {spec.get('spec_version')!r}")
    build = feature_builder(spec["input_table"])
    if spec["model_type"] == "scorecard":
        from riskmodels.scorecard.compiled import CompiledScorecard

        return ScorecardScorer(CompiledScorecard.from_spec(spec["model"]),
                               RiskBands.from_spec(spec["risk_classes"]), build)
    if spec["model_type"] in ("fraud", "application_challenger"):
        return GBMScorer(load_model(spec["model"]), build)
    raise ValueError(f"model_type must be one of scorecard, fraud, application_challenger; "
                     f"got {spec['model_type']!r}")
