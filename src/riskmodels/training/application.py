"""Application scorecard (A card): quality gate → features → split → fit → evaluate → MLflow →
registry (alias ``challenger``), with a LightGBM challenger fitted on the same rows and
registered on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel

from riskmodels import registry
from riskmodels.config import ModelKind, get_settings
from riskmodels.evaluation import evaluate_splits
from riskmodels.models.challenger import GBMChallenger
from riskmodels.models.specs import make_spec
from riskmodels.policy import load_policy
from riskmodels.registry.promotion import GATES_ARTIFACT
from riskmodels.training.samples import booked_sample
from riskmodels.training.scorecard import (
    FittedScorecard,
    ScorecardPipelineConfig,
    ScorecardSample,
    split_data,
    train_and_register,
)
from riskmodels.training.steps import TrainingResult, data_fingerprint, read_optional, read_tables, require_clean


class ChallengerConfig(BaseModel):
    model_name: str = ModelKind.CHALLENGER.registered_name


class ApplicationConfig(ScorecardPipelineConfig):
    """``application.yaml``: the scorecard pipeline plus its challenger."""

    challenger: ChallengerConfig = ChallengerConfig()


def train_challenger(sample: ScorecardSample, fitted: FittedScorecard, cfg: ApplicationConfig) -> np.ndarray:
    """LightGBM on the A card's candidates and training rows, logged and registered in its own
    run (alias ``challenger``); returns its PD for every row of ``sample``."""
    train = (fitted.split == "train").to_numpy()
    model = GBMChallenger(features=cfg.scorecard.features).fit(sample.features[train], sample.event[train])
    with registry.training_run("application_challenger", "application-challenger") as run_id:
        registry.log_artifact_text(cfg.gates.model_dump_json(indent=1), GATES_ARTIFACT)
        pd_all = np.asarray(model.predict_pd(sample.features))
        points = cfg.scorecard.scale.to_points(pd_all)
        registry.log_metrics(evaluate_splits(split_data(sample, fitted.split, pd_all, points),
                                             bands=fitted.bands).metrics)
        uri = registry.log_spec_model(make_spec("application_challenger", "applications", model.to_dict()),
                                      sample.input_rows.head(5))
        registry.register(uri, cfg.challenger.model_name, run_id)
    return pd_all


def train_application(data_dir: Path, cfg: ApplicationConfig) -> TrainingResult:
    """Train, evaluate, log and register the A card and its challenger from a portfolio folder."""
    tables = read_tables(data_dir, ("applications", "outcomes"))
    quality_reports = require_clean(tables, get_settings().home / "reports" / "quality")
    sample = booked_sample(tables["applications"], tables["outcomes"], read_optional(data_dir, "truth"), cfg.target)

    def challenger(fitted: FittedScorecard) -> tuple[np.ndarray, str]:
        return train_challenger(sample, fitted, cfg), cfg.challenger.model_name

    # The risk classes are the lending policy's: one definition for training and decisions.
    return train_and_register("application", cfg, sample, "applications", quality_reports,
                              data_fingerprint(tables["applications"]), challenger_pd=challenger,
                              bands=load_policy().risk_bands())
