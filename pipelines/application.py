"""Application scorecard (A card): quality gate → features → split → fit → evaluate →
MLflow → registry (alias ``challenger``), with a LightGBM challenger beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from riskmodels import registry
from riskmodels.config import get_settings
from riskmodels.features import build_features
from riskmodels.models.fraud import GBMChallenger
from riskmodels.models.specs import make_spec
from riskmodels.policy import load_policy
from riskmodels.registry.promotion import GATES_ARTIFACT
from riskmodels.training.scorecard import (FittedScorecard, ScorecardPipelineConfig, ScorecardSample,
                                           train_and_register)
from riskmodels.training import TrainingResult, data_fingerprint, load_config, read_optional, read_tables, require_clean


class ChallengerConfig(BaseModel):
    model_name: str = "sme-application-challenger"


class ApplicationConfig(ScorecardPipelineConfig):
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

    def challenger(fitted: FittedScorecard) -> tuple[np.ndarray, str]:
        """LightGBM on the same candidates and training rows, registered on its own."""
        train = (fitted.split == "train").to_numpy()
        model = GBMChallenger(features=cfg.scorecard.features).fit(sample.features[train], sample.event[train])
        with registry.training_run("application_challenger", "application-challenger") as run:
            import mlflow

            mlflow.log_text(cfg.gates.model_dump_json(indent=1), GATES_ARTIFACT)
            pd_all = np.asarray(model.predict_pd(sample.features))
            from riskmodels.evaluation import evaluate_splits
            from riskmodels.training.scorecard import split_data

            mlflow.log_metrics(evaluate_splits(split_data(sample, fitted.split, pd_all,
                                                          cfg.scorecard.scale.to_points(pd_all)),
                                               bands=fitted.bands).metrics)
            uri = registry.log_spec_model(make_spec("application_challenger", "applications", model.to_dict()),
                                          sample.input_rows.head(5))
            registry.register(uri, cfg.challenger.model_name, run.info.run_id)
        return pd_all, cfg.challenger.model_name

    # The risk classes are the lending policy's: one definition for training and decisions.
    return train_and_register("application", cfg, sample, "applications", quality_reports,
                              data_fingerprint(tables["applications"]), challenger_pd=challenger,
                              bands=load_policy().risk_bands())
