"""Train, evaluate, log and register a scorecard: the steps the A, B and C cards share.

A pipeline prepares a ``ScorecardSample`` (features, target, dates, and the simulator's truth
when there is one); everything after that is the same for every scorecard.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from pydantic import Field

from riskmodels import registry
from riskmodels.data.splits import SplitConfig, split_by_month
from riskmodels.evaluation import EvaluationResult, SplitData, evaluate_splits, validation_report
from riskmodels.models.specs import make_spec
from riskmodels.policy.risk_classes import RiskBands
from riskmodels.registry.promotion import GATES_ARTIFACT, PromotionGates
from riskmodels.scorecard import ScorecardConfig, ScorecardModel
from riskmodels.training.steps import PipelineConfig, TrainingResult, flatten

log = logging.getLogger(__name__)


class ScorecardPipelineConfig(PipelineConfig):
    """A scorecard pipeline's YAML: the common part plus the scorecard section."""

    scorecard: ScorecardConfig
    event_value: int = Field(1, ge=0, le=1, description="Target value that is the bad event")
    date_column: str = Field("application_date", description="Calendar the split runs on")


@dataclass(frozen=True)
class ScorecardSample:
    """The development data of one scorecard, row-aligned."""

    features: pd.DataFrame
    event: np.ndarray  # 1 = the bad event the score ranks against
    dates: pd.Series
    input_rows: pd.DataFrame  # raw contract rows: the registered model's input example
    oracle_pd: np.ndarray | None = None  # the simulator's true probability of the event

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.event) == len(self.dates) == len(self.input_rows) == n):
            raise ValueError("features, event, dates and input_rows must have the same length; got "
                             f"{n}, {len(self.event)}, {len(self.dates)}, {len(self.input_rows)}")
        if self.oracle_pd is not None and len(self.oracle_pd) != n:
            raise ValueError(f"oracle_pd must have {n} rows; got {len(self.oracle_pd)}")


@dataclass
class FittedScorecard:
    model: ScorecardModel
    split: pd.Series
    bands: RiskBands
    scores: np.ndarray
    pds: np.ndarray


def fit_scorecard(sample: ScorecardSample, config: ScorecardConfig, split_config: SplitConfig,
                  bands: RiskBands | None = None) -> FittedScorecard:
    """Fit on the training months; score every row; calibrate class PDs on train + test."""
    split = split_by_month(sample.dates, split_config)
    train = (split == "train").to_numpy()
    log.info("fitting scorecard on %d training rows (%d candidates)", train.sum(), len(config.features))
    model = ScorecardModel.from_config(config).fit(sample.features[train], sample.event[train])
    scores = model.predict_score(sample.features)
    development = (split != "oot").to_numpy()
    bands = (bands or RiskBands.default()).with_pds(sample.event[development], scores[development])
    return FittedScorecard(model, split, bands, scores, model.predict_pd(sample.features))


def split_data(sample: ScorecardSample, split: pd.Series, pds: np.ndarray, scores: np.ndarray) -> dict[str, SplitData]:
    out = {}
    for name in ("train", "test", "oot"):
        mask = (split == name).to_numpy()
        oracle = sample.oracle_pd[mask] if sample.oracle_pd is not None else None
        out[name] = SplitData(y=sample.event[mask], pd=pds[mask], score=scores[mask], oracle_pd=oracle)
    return out


NOT_APPLICABLE = "—"


def bin_label(value: object) -> str:
    """A bin as a person reads it: a categorical bin's categories joined by commas
    (``catering, retail``); intervals, ``Special`` and ``Missing`` as optbinning writes them.

    optbinning holds a categorical bin as an array, which pandas 3 writes as
    ``<ArrowStringArray>[...]`` in a CSV cell.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray, pd.api.extensions.ExtensionArray, pd.Index)):
        return ", ".join(str(v) for v in value)
    return str(value)


def binning_artefacts(model: ScorecardModel) -> dict[str, pd.DataFrame]:
    """optbinning's binning table of every candidate, with readable bins, as logged."""
    tables = {}
    for name, table in model.binning_tables().items():
        flat = table.reset_index()
        tables[name] = flat.assign(Bin=flat["Bin"].map(bin_label))
    return tables


def readable_scorecard_table(model: ScorecardModel) -> pd.DataFrame:
    """The scorecard table as logged: categorical bins written as their categories."""
    table = cast(pd.DataFrame, model.scorecard_table_)
    return table.assign(bin=table["bin"].map(bin_label))


def report_sections(model: ScorecardModel) -> list[tuple[str, str]]:
    """The validation report's tables of the model: selection, coefficients, scorecard.

    An undefined cell (the intercept's VIF, a variable dropped before VIF was computed) is a
    dash, not "NaN", which reads as a failed computation.
    """
    def table_html(frame: pd.DataFrame, digits: int) -> str:
        # pandas takes a %-format string for float_format; pandas-stubs list only the callable form.
        page: str = frame.to_html(index=False, float_format=f"%.{digits}f",  # type: ignore[call-overload]
                                  na_rep=NOT_APPLICABLE)
        return page

    return [("Variable selection", table_html(model.selection_table_, 4)),
            ("Coefficients (Wald statistics, VIF)", table_html(model.coef_table_, 4)),
            ("Scorecard", table_html(readable_scorecard_table(model), 3))]


def log_scorecard_evidence(fitted: FittedScorecard, evaluation: EvaluationResult, model_name: str,
                           extra_sections: list[tuple[str, str]] | None = None) -> None:
    """Every table and plot a validator asks for, as artefacts of the active MLflow run."""
    model = fitted.model
    registry.log_artifact_frame(model.selection_table_, "selection/variable_selection.csv")
    registry.log_artifact_frame(model.coef_table_, "model/coefficients.csv")
    registry.log_artifact_frame(readable_scorecard_table(model), "model/scorecard_table.csv")
    registry.log_artifact_text(
        pd.DataFrame([{"class": b.name, "min_score": b.min_score, "pd": b.pd} for b in fitted.bands.bands])
        .to_csv(index=False), "model/risk_classes.csv")
    with tempfile.TemporaryDirectory() as tmp:  # one upload for every candidate's table
        for name, table in binning_artefacts(model).items():
            table.to_csv(Path(tmp) / f"{name}.csv", index=False)
            (Path(tmp) / f"{name}.html").write_text(table.to_html(index=False, na_rep=NOT_APPLICABLE),
                                                    encoding="utf-8")
        registry.log_artifact_folder(Path(tmp), "binning")
    sections = [*report_sections(model), *(extra_sections or [])]
    html = validation_report(evaluation, title=f"Validation report: {model_name}", sections=sections)
    registry.log_artifact_text(html, "report/validation_report.html")


def register_scorecard(fitted: FittedScorecard, sample: ScorecardSample, model_name: str,
                       input_table: str, gates: PromotionGates) -> tuple[str, str]:
    """Log the compiled spec as a pyfunc model, register it as ``challenger``; (version, uri)."""
    spec = make_spec("scorecard", input_table, fitted.model.compiled_.to_spec(), fitted.bands)
    registry.log_artifact_text(json.dumps(spec, ensure_ascii=False, indent=1), "model/compiled_spec.json")
    registry.log_artifact_text(gates.model_dump_json(indent=1), GATES_ARTIFACT)
    example = sample.input_rows.head(5)
    uri = registry.log_spec_model(spec, example)
    version = registry.register(uri, model_name, registry.active_run_id())
    return version.version, uri


def log_quality_reports(paths: list[Path]) -> None:
    """The data-quality reports the run was allowed to start on, under ``quality/``."""
    for path in paths:
        registry.log_artifact_file(path, "quality")


def train_and_register(kind: str, cfg: ScorecardPipelineConfig, sample: ScorecardSample, input_table: str,
                       quality_reports: list[Path], data_hash: str,
                       challenger_pd: Callable[[FittedScorecard], tuple[np.ndarray, str]] | None = None,
                       bands: RiskBands | None = None) -> TrainingResult:
    """Fit, evaluate on train/test/OOT, log every artefact, register as ``challenger``.

    ``challenger_pd`` (A card) fits a challenger on the same training rows and returns its
    PD for every row and its registered name; both models are then reported side by side.
    """
    fitted = fit_scorecard(sample, cfg.scorecard, cfg.split, bands)
    evaluation = evaluate_splits(split_data(sample, fitted.split, fitted.pds, fitted.scores), bands=fitted.bands)
    metrics = dict(evaluation.metrics)
    sections: list[tuple[str, str]] = []
    if challenger_pd is not None:
        other_pd, _ = challenger_pd(fitted)
        other = evaluate_splits(split_data(sample, fitted.split, other_pd, cfg.scorecard.scale.to_points(other_pd)),
                                bands=fitted.bands)
        metrics.update({f"challenger_{k}": v for k, v in other.metrics.items() if k.endswith("_auc")})
        table = pd.DataFrame([{"sample": s, "scorecard AUC": metrics[f"{s}_auc"],
                               "LightGBM AUC": other.metrics[f"{s}_auc"]} for s in ("train", "test", "oot")])
        sections.append(("Champion (scorecard) vs challenger (LightGBM)", table.to_html(index=False)))
    with registry.training_run(kind, f"{kind}-scorecard") as run_id:
        registry.log_params({**flatten("", cfg), "data.hash": data_hash,
                             **{f"rows.{s}": int((fitted.split == s).sum()) for s in ("train", "test", "oot")}})
        registry.log_metrics(metrics)
        log_quality_reports(quality_reports)
        log_scorecard_evidence(fitted, evaluation, cfg.model_name, sections)
        version, _ = register_scorecard(fitted, sample, cfg.model_name, input_table, cfg.gates)
    log.info("%s v%s: oot_auc %.4f", cfg.model_name, version, metrics["oot_auc"])
    return TrainingResult(kind, cfg.model_name, run_id, version, metrics)
