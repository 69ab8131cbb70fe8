"""Training pipelines: one thin module per model kind, configured by ``configs/KIND.yaml``.

Each pipeline only composes library steps (``riskmodels.training``,
``riskmodels.training.scorecard``), so what a model is trained on reads top to bottom.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from riskmodels.training import TrainingResult

KINDS = ("application", "fraud", "behavior", "collection")


def run_training(kind: str, data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}; got {kind!r}")
    return import_module(f"pipelines.{kind}").run(Path(data_dir), config_path)
