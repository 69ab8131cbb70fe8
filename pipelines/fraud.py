"""Fraud model: ``configs/fraud.yaml``."""

from __future__ import annotations

from pathlib import Path

from riskmodels.training import FraudConfig, TrainingResult, load_config, train_fraud


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    return train_fraud(data_dir, load_config(FraudConfig, "fraud", config_path))
