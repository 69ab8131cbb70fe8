"""Fraud model: quality gate → features → split → fit → evaluate → MLflow → registry."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from riskmodels import registry
from riskmodels.config import get_settings
from riskmodels.evaluation import evaluate_splits, validation_report
from riskmodels.features import build_features
from riskmodels.models.fraud import FraudModel
from riskmodels.models.specs import make_spec
from riskmodels.registry.promotion import GATES_ARTIFACT
from riskmodels.policy.risk_classes import RiskBand, RiskBands
from riskmodels.training.scorecard import ScorecardSample, log_quality_reports, split_data
from riskmodels.data.splits import split_by_month
from riskmodels.training import (PipelineConfig, TrainingResult, data_fingerprint, flatten, load_config,
                                 read_optional, read_tables, require_clean)

log = logging.getLogger(__name__)


class FraudParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_estimators: int = 150
    num_leaves: int = 15
    max_depth: int = 5
    learning_rate: float = 0.1
    min_child_samples: int = 50
    monotone: bool = True
    seed: int = 7
    pass_score: float = 60.0
    review_score: float = 40.0


class FraudConfig(PipelineConfig):
    fraud: FraudParams = FraudParams()


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    cfg = load_config(FraudConfig, "fraud", config_path)
    tables = read_tables(data_dir, ("applications", "outcomes"))
    quality_reports = require_clean(tables, get_settings().home / "reports" / "quality")
    apps = tables["applications"]
    joined = apps.merge(tables["outcomes"][["application_id", cfg.target]], on="application_id",
                        validate="one_to_one")
    truth = read_optional(data_dir, "truth")
    oracle = None if truth is None else joined[["application_id"]].merge(
        truth[["application_id", "true_fraud_prob"]], on="application_id", how="left")["true_fraud_prob"].to_numpy()
    raw = joined[apps.columns]
    sample = ScorecardSample(build_features(raw), joined[cfg.target].to_numpy(dtype=int),
                             joined["application_date"], raw, oracle)

    split = split_by_month(sample.dates, cfg.split)
    train = (split == "train").to_numpy()
    model = FraudModel(**cfg.fraud.model_dump()).fit(sample.features[train], sample.event[train])
    assessed = model.assess(sample.features)
    bands = RiskBands((RiskBand("pass", cfg.fraud.pass_score), RiskBand("review", cfg.fraud.review_score),
                       RiskBand("reject", 0.0)))
    evaluation = evaluate_splits(split_data(sample, split, assessed.probability, assessed.score), bands=bands)

    with registry.training_run("fraud", "fraud-model") as run:
        import mlflow

        mlflow.log_params({**flatten("", cfg), "data.hash": data_fingerprint(apps),
                           **{f"rows.{s}": int((split == s).sum()) for s in ("train", "test", "oot")},
                           "trees": model.booster_.num_trees()})
        mlflow.log_metrics(evaluation.metrics)
        log_quality_reports(quality_reports)
        importance = model.booster_.feature_importance(importance_type="gain")
        mlflow.log_text("feature,gain\n" + "\n".join(f"{f},{g:.3f}" for f, g in
                        sorted(zip(model.features_, importance), key=lambda p: -p[1])), "model/importance.csv")
        mlflow.log_text(validation_report(evaluation, title=f"Validation report: {cfg.model_name}"),
                        "report/validation_report.html")
        mlflow.log_text(cfg.gates.model_dump_json(indent=1), GATES_ARTIFACT)
        uri = registry.log_spec_model(make_spec("fraud", "applications", model.to_dict()), raw.head(5))
        version = registry.register(uri, cfg.model_name, run.info.run_id).version
    log.info("fraud model v%s: oot_auc %.4f (%d trees, fraud rate %.2f%%)", version,
             evaluation.metrics["oot_auc"], model.booster_.num_trees(), 100 * np.mean(sample.event))
    return TrainingResult("fraud", cfg.model_name, run.info.run_id, version, evaluation.metrics)
