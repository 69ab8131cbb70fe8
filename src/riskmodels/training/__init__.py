"""Training: samples, the steps every pipeline composes, and train-and-register for each kind."""

from __future__ import annotations

from riskmodels.training.steps import (
    PipelineConfig, TrainingResult, data_fingerprint, flatten, load_config, read_optional, read_tables, require_clean,
)

__all__ = ["PipelineConfig", "TrainingResult", "data_fingerprint", "flatten", "load_config", "read_optional",
           "read_tables", "require_clean"]
