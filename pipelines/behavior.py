"""Behavioural scorecard (B card), monthly snapshots → 90+ DPD in the next 6 months:
``configs/behavior.yaml``."""

from __future__ import annotations

from pathlib import Path

from riskmodels.training import ScorecardPipelineConfig, TrainingResult, load_config, train_behavior


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    return train_behavior(data_dir, load_config(ScorecardPipelineConfig, "behavior", config_path))
