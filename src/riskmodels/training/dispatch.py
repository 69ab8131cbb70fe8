"""``train(kind, data_dir)``: one entry point for every trained model kind (the CLI calls it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskmodels.config import TRAINED_KINDS, ModelKind
from riskmodels.training.accounts import train_behavior, train_collection
from riskmodels.training.application import ApplicationConfig, train_application
from riskmodels.training.fraud import FraudConfig, train_fraud
from riskmodels.training.scorecard import ScorecardPipelineConfig
from riskmodels.training.steps import PipelineConfig, TrainingResult, load_config


@dataclass(frozen=True)
class Trainer:
    """A kind's config class (which validates its YAML) and its train-and-register function."""

    config_class: type[PipelineConfig]
    run: Callable[[Path, Any], TrainingResult]


TRAINERS: dict[ModelKind, Trainer] = {
    ModelKind.FRAUD: Trainer(FraudConfig, train_fraud),
    ModelKind.APPLICATION: Trainer(ApplicationConfig, train_application),
    ModelKind.BEHAVIOR: Trainer(ScorecardPipelineConfig, train_behavior),
    ModelKind.COLLECTION: Trainer(ScorecardPipelineConfig, train_collection),
}


def train(kind: ModelKind | str, data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    """Validate the data, train, evaluate, log to MLflow and register as ``challenger`` one model
    kind, configured by ``config_path`` (default: the packaged ``KIND.yaml``)."""
    if kind not in TRAINED_KINDS:
        raise ValueError(f"kind must be one of {[str(k) for k in TRAINED_KINDS]}; got {str(kind)!r}")
    kind = ModelKind(kind)
    trainer = TRAINERS[kind]
    return trainer.run(Path(data_dir), load_config(trainer.config_class, kind.value, config_path))
