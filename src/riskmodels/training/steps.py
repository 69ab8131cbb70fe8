"""Step functions the training pipelines compose: config, inputs, quality gate, records.

Each step is a plain function of its inputs, so a pipeline in ``pipelines/`` reads as the list
of steps it runs, and a notebook can run any step alone.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskmodels.config_files import load_yaml
from riskmodels.data.quality import DataQualityError, QualityReport
from riskmodels.data.splits import SplitConfig
from riskmodels.registry.comparison import ComparisonRecord
from riskmodels.registry.gates import GatesVerdict

log = logging.getLogger(__name__)

# The default YAML of each kind ships inside the package (``riskmodels/training/configs``), so an
# installed wheel finds it; a bank's own file is passed as ``path``.


class PipelineConfig(BaseModel):
    """What every pipeline YAML holds besides its model's own section."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(description="Registered model name (the contract's)")
    target: str = Field(description="Label column (see contract.LABELS)")
    # ``model_validate({})`` is ``SplitConfig()``: mypy reads the positional ``Field(4, ...)`` defaults
    # of these models as required arguments, so it rejects the classes themselves as factories.
    split: SplitConfig = Field(default_factory=SplitConfig)

    @model_validator(mode="before")
    @classmethod
    def _no_gates(cls, data: Any) -> Any:
        # Whoever trains must not set the bar the model is judged by.
        if isinstance(data, dict) and "gates" in data:
            raise ValueError("gates must not be set in a training config: promotion gates moved to the bank's "
                             "gates file (the packaged riskmodels/registry/gates.yaml, or RISKMODELS_GATES); "
                             f"got gates: {data['gates']!r}")
        return data


ConfigT = TypeVar("ConfigT", bound=PipelineConfig)


def load_config(config_class: type[ConfigT], kind: str, path: Path | None = None) -> ConfigT:
    """The pipeline's YAML (default: the packaged ``KIND.yaml``), validated by its class."""
    if path is None:
        packaged = resources.files("riskmodels.training").joinpath("configs", f"{kind}.yaml")
        with resources.as_file(packaged) as local:
            return load_yaml(config_class, local, "config", kind)
    return load_yaml(config_class, Path(path), "config", kind)


def read_tables(data_dir: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Read the portfolio tables a pipeline needs; a clear error names a missing one."""
    tables = {}
    for name in names:
        path = Path(data_dir) / f"{name}.parquet"
        if not path.exists():
            raise FileNotFoundError(f"data must hold {name}.parquet; not found in {str(data_dir)!r}")
        tables[name] = pd.read_parquet(path)
    return tables


class TrainingDataRejected(DataQualityError):
    """Bad data stopped training; ``reports`` are the HTML reports written, the failed first."""

    def __init__(self, report: QualityReport, reports: list[Path]) -> None:
        super().__init__(report)
        self.reports = reports


def require_clean(tables: dict[str, pd.DataFrame], report_dir: Path) -> list[Path]:
    """Run the contract's quality suite on every contract table; stop on a critical failure.

    Reports are written whatever the outcome, so the person whose training stopped can read
    why; the MLflow run is only opened after this passes, so bad data leaves no half run.
    """
    from riskmodels.contract import TABLES
    from riskmodels.data.quality import check_table, write_report

    written: list[Path] = []
    failures: list[tuple[QualityReport, Path]] = []
    for name, frame in tables.items():
        if name not in TABLES:
            continue
        report = check_table(frame, name)
        paths = write_report(report, report_dir)
        written.extend(paths)
        log.info("data quality of %s: %s; report %s", name, "passed" if report.passed else "FAILED", paths[-1])
        if not report.passed:
            failures.append((report, paths[-1]))
    if failures:
        raise TrainingDataRejected(failures[0][0], [path for _, path in failures])
    return written


def data_fingerprint(frame: pd.DataFrame) -> str:
    """A SHA-256 of the rows' content, recorded with the run to tie a model to its data."""
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(row_hashes.tobytes()).hexdigest()


def flatten(prefix: str, value: Any) -> dict[str, str]:
    """Nested config → MLflow params ``a.b.c`` (values as short strings)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(flatten(f"{prefix}.{key}" if prefix else str(key), item))
        return out
    text = str(value)
    return {prefix: text if len(text) <= 500 else text[:497] + "..."}


@dataclass
class TrainingResult:
    """What a pipeline run produced: the run, the registered version, its key metrics, the
    reports it wrote and how the bank's gates judged it."""

    kind: str
    model_name: str
    run_id: str
    version: str
    metrics: dict[str, float]
    artifacts: list[str] = field(default_factory=list)
    gates: GatesVerdict | None = None
    comparison: ComparisonRecord | None = None
    quality_reports: list[Path] = field(default_factory=list)  # HTML reports of the data quality
    validation_report: str = ""  # where the run's validation report is (a local path or a URI)
    related: list[TrainingResult] = field(default_factory=list)  # trained beside it (the A card's LightGBM)

    @property
    def passed_gates(self) -> bool:
        return self.gates is not None and self.gates.passed

    def summary(self) -> dict[str, Any]:
        keys = [k for k in self.metrics if k.startswith(("oot_", "test_auc", "psi_", "oracle_"))]
        out: dict[str, Any] = {"model": self.model_name, "version": self.version, "run_id": self.run_id}
        if self.gates is not None:
            out["gates"] = self.gates.summary()
            out["alias"] = "challenger" if self.gates.passed else None
        if self.comparison is not None:
            out["comparison"] = self.comparison.summary()
        return {**out, **{k: round(self.metrics[k], 4) for k in sorted(keys)}}


def read_optional(data_dir: Path, name: str) -> pd.DataFrame | None:
    """A table that may be absent (the simulator's truth, for instance)."""
    path = Path(data_dir) / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else None
