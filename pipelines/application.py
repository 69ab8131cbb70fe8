"""Application scorecard (A card): quality gate → features → split → fit → evaluate →
MLflow → registry (alias ``challenger``), with a LightGBM challenger beside it."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from riskmodels import tracking
from riskmodels.config import get_settings
from riskmodels.evaluation import evaluate_splits
from riskmodels.features import build_features
from riskmodels.fraud import GBMChallenger
from riskmodels.model_specs import make_spec
from riskmodels.scorecard import ScorecardConfig
from riskmodels.scorecard_training import (ScorecardSample, fit_scorecard, log_quality_reports,
                                           log_scorecard_evidence, register_scorecard, split_data)
from riskmodels.training import (PipelineConfig, TrainingResult, data_fingerprint, flatten, load_config,
                                 read_optional, read_tables, require_clean)

log = logging.getLogger(__name__)


class ChallengerConfig(BaseModel):
    model_name: str = "sme-application-challenger"


class ApplicationConfig(PipelineConfig):
    scorecard: ScorecardConfig
    challenger: ChallengerConfig = ChallengerConfig()


def booked_sample(applications: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None,
                  target: str) -> ScorecardSample:
    """Booked applications with an observed outcome: the A card's development population."""
    joined = applications.merge(outcomes[["application_id", target]], on="application_id", how="inner",
                                validate="one_to_one")
    joined = joined[joined[target].notna()].reset_index(drop=True)
    oracle = None
    if truth is not None:
        oracle = joined[["application_id"]].merge(truth[["application_id", "true_pd"]], on="application_id",
                                                  how="left")["true_pd"].to_numpy()
    raw = joined[applications.columns]
    return ScorecardSample(features=build_features(raw), event=joined[target].to_numpy(dtype=int),
                           dates=joined["application_date"], input_rows=raw, oracle_pd=oracle)


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    cfg = load_config(ApplicationConfig, "application", config_path)
    tables = read_tables(data_dir, ("applications", "outcomes"))
    quality_reports = require_clean(tables, get_settings().home / "reports" / "quality")
    sample = booked_sample(tables["applications"], tables["outcomes"], read_optional(data_dir, "truth"), cfg.target)

    fitted = fit_scorecard(sample, cfg.scorecard, cfg.split)
    train = (fitted.split == "train").to_numpy()
    challenger = GBMChallenger(features=cfg.scorecard.features).fit(sample.features[train], sample.event[train])
    challenger_pd = np.asarray(challenger.predict_pd(sample.features))
    evaluation = evaluate_splits(split_data(sample, fitted.split, fitted.pds, fitted.scores), bands=fitted.bands)
    challenger_eval = evaluate_splits(split_data(sample, fitted.split, challenger_pd, fitted.scores),
                                      bands=fitted.bands)
    comparison = {f"challenger_{k}": v for k, v in challenger_eval.metrics.items() if k.endswith("_auc")}

    with tracking.training_run("application", "application-scorecard") as run:
        import mlflow

        mlflow.log_params({**flatten("", cfg), "data.hash": data_fingerprint(tables["applications"]),
                           **{f"rows.{s}": int((fitted.split == s).sum()) for s in ("train", "test", "oot")}})
        mlflow.log_metrics({**evaluation.metrics, **comparison})
        log_quality_reports(quality_reports)
        champion_vs_challenger = pd.DataFrame(
            [{"split": s, "scorecard_auc": evaluation.metrics[f"{s}_auc"],
              "lightgbm_auc": challenger_eval.metrics[f"{s}_auc"]} for s in ("train", "test", "oot")])
        log_scorecard_evidence(fitted, evaluation, cfg.model_name, [
            ("Champion (scorecard) vs challenger (LightGBM)", champion_vs_challenger.to_html(index=False))])
        version, _ = register_scorecard(fitted, sample, cfg.model_name, "applications", cfg.gates)
        result = TrainingResult("application", cfg.model_name, run.info.run_id, version,
                                {**evaluation.metrics, **comparison})

    with tracking.training_run("application_challenger", "application-challenger") as run:
        import mlflow

        mlflow.log_metrics(challenger_eval.metrics)
        mlflow.log_text(cfg.gates.model_dump_json(), "gates.json")
        spec = make_spec("application_challenger", "applications", challenger.to_dict())
        uri = tracking.log_spec_model(spec, sample.input_rows.head(5))
        tracking.register(uri, cfg.challenger.model_name, run.info.run_id)
    log.info("A card v%s: oot_auc %.4f (challenger %.4f)", version, evaluation.metrics["oot_auc"],
             challenger_eval.metrics["oot_auc"])
    return result
