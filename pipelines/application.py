"""Application scorecard (A card) with its LightGBM challenger: ``configs/application.yaml``."""

from __future__ import annotations

from pathlib import Path

from riskmodels.training import ApplicationConfig, TrainingResult, load_config, train_application


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    return train_application(data_dir, load_config(ApplicationConfig, "application", config_path))
