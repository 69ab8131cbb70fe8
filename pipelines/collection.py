"""Collection scorecard (C card), collection cases → not cured within 30 days (the bad event;
cure probability = 1 - PD): ``configs/collection.yaml``."""

from __future__ import annotations

from pathlib import Path

from riskmodels.training import ScorecardPipelineConfig, TrainingResult, load_config, train_collection


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    return train_collection(data_dir, load_config(ScorecardPipelineConfig, "collection", config_path))
