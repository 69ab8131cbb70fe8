"""Training pipelines: one thin module per model kind. Each reads its YAML (default: the
packaged ``riskmodels/training/configs/KIND.yaml``) and calls one function of
``riskmodels.training``, where what a model is trained on reads top to bottom."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from riskmodels.config import TRAINED_KINDS, ModelKind
from riskmodels.training import TrainingResult

KINDS = tuple(k.value for k in TRAINED_KINDS)


def run_training(kind: ModelKind | str, data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    """Run ``pipelines/KIND.py`` (the same as ``riskmodels.training.train``)."""
    if kind not in TRAINED_KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}; got {str(kind)!r}")
    result: TrainingResult = import_module(f"pipelines.{ModelKind(kind).value}").run(Path(data_dir), config_path)
    return result
