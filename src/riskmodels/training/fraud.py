"""Fraud model: quality gate → features → split → fit → evaluate → MLflow → registry (alias
``challenger``)."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from riskmodels import registry
from riskmodels.config import get_settings
from riskmodels.data.splits import split_by_month
from riskmodels.evaluation import evaluate_splits, validation_report
from riskmodels.models.fraud import FraudModel
from riskmodels.models.specs import make_spec
from riskmodels.policy.risk_classes import RiskBand, RiskBands
from riskmodels.registry.gates import load_gates
from riskmodels.training.gbm_evidence import log_gbm_evidence
from riskmodels.training.governance import DataRecord, log_datasets, register_with_governance
from riskmodels.training.samples import APPLICATION_DATE, fraud_sample, release_read_buffers
from riskmodels.training.scorecard import (
    SPLITS,
    VALIDATION_REPORT,
    log_quality_reports,
    split_data,
    split_frames,
    training_result,
)
from riskmodels.training.steps import (
    PipelineConfig,
    TrainingResult,
    data_fingerprint,
    flatten,
    read_optional,
    read_tables,
    require_clean,
)

log = logging.getLogger(__name__)


def _estimator_default(name: str) -> Any:
    """``FraudModel``'s own default: the estimator is the one source of its defaults."""
    return inspect.signature(FraudModel).parameters[name].default


class FraudParams(BaseModel):
    """The ``fraud`` section of ``fraud.yaml``: the ``FraudModel`` parameters a bank may set."""

    model_config = ConfigDict(extra="forbid")

    n_estimators: int = _estimator_default("n_estimators")
    num_leaves: int = _estimator_default("num_leaves")
    max_depth: int = _estimator_default("max_depth")
    learning_rate: float = _estimator_default("learning_rate")
    min_child_samples: int = _estimator_default("min_child_samples")
    monotone: bool = _estimator_default("monotone")
    seed: int = _estimator_default("seed")
    pass_score: float = _estimator_default("pass_score")
    review_score: float = _estimator_default("review_score")


class FraudConfig(PipelineConfig):
    fraud: FraudParams = FraudParams()


def verdict_bands(params: FraudParams) -> RiskBands:
    """The fraud verdicts as risk classes, for calibration and monotonicity by class."""
    return RiskBands((RiskBand("pass", params.pass_score), RiskBand("review", params.review_score),
                      RiskBand("reject", 0.0)))


def train_fraud(data_dir: Path, cfg: FraudConfig) -> TrainingResult:
    """Train, evaluate, log and register the fraud model from a portfolio folder (as
    ``challenger`` when the bank's gates pass)."""
    bank = load_gates()
    bank.for_model(cfg.model_name)  # no gates for this model: fail before the fit
    tables = read_tables(data_dir, ("applications", "outcomes"))
    quality_reports = require_clean(tables, get_settings().home / "reports" / "quality")
    apps = tables["applications"]
    sample = fraud_sample(apps, tables["outcomes"], read_optional(data_dir, "truth"), cfg.target)
    release_read_buffers()

    split = split_by_month(sample.dates, cfg.split)
    train = (split == "train").to_numpy()
    model = FraudModel(**cfg.fraud.model_dump()).fit(sample.features[train], sample.event[train])
    assessed = model.assess(sample.features)
    evaluation = evaluate_splits(split_data(sample, split, assessed.probability, assessed.score),
                                 bands=verdict_bands(cfg.fraud))

    data = DataRecord(data_fingerprint(apps), {s: int((split == s).sum()) for s in SPLITS})
    with registry.training_run("fraud", registry.run_name("fraud model", data.total, data.sha256)) as run_id:
        registry.log_params({**flatten("", cfg), "data.hash": data.sha256, "date_column": APPLICATION_DATE,
                             **{f"rows.{s}": n for s, n in data.rows.items()}, "trees": model.booster_.num_trees()})
        registry.log_metrics(evaluation.metrics)
        log_datasets(split_frames(sample, split), cfg.model_name, data_dir, "event", data_fingerprint)
        log_quality_reports(quality_reports)
        log_gbm_evidence(model, sample.features, sample.event, assessed.probability, split)
        registry.log_artifact_text(validation_report(evaluation, title=f"Validation report: {cfg.model_name}"),
                                   VALIDATION_REPORT)
        oot = (split == "oot").to_numpy()
        registration = register_with_governance(
            cfg.model_name, make_spec("fraud", "applications", model.to_dict()), sample.input_example(),
            evaluation.metrics, sample.inputs(oot), sample.event[oot], data, bank)
        report = registry.artifact_location(VALIDATION_REPORT)
    log.info("fraud model v%s: oot_auc %.4f (%d trees, fraud rate %.2f%%)", registration.version,
             evaluation.metrics["oot_auc"], model.booster_.num_trees(), 100 * np.mean(sample.event))
    return training_result("fraud", cfg.model_name, run_id, evaluation.metrics, registration, quality_reports, report)
