"""Application scorecard (A card): quality gate → features → split → fit (with reject inference
when configured) → evaluate → MLflow → registry (alias ``challenger``), with a LightGBM challenger
fitted on the same booked rows and registered on its own.

On simulated data the run also measures the card on every application of the out-of-time months,
booked or not, against the simulator's truth (``reject_inference.through_the_door_metrics``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from riskmodels import registry
from riskmodels.config import ModelKind, get_settings
from riskmodels.data.splits import split_by_month
from riskmodels.evaluation import evaluate_splits
from riskmodels.models.challenger import GBMChallenger
from riskmodels.models.specs import make_spec
from riskmodels.policy import load_policy
from riskmodels.policy.risk_classes import RiskBands
from riskmodels.registry.gates import BankGates, load_gates
from riskmodels.scorecard import ScorecardModel
from riskmodels.training.gbm_evidence import log_gbm_evidence
from riskmodels.training.governance import DataRecord, log_datasets, register_with_governance
from riskmodels.training.reject_inference import (
    InferredRejects,
    RejectInferenceConfig,
    fit_with_reject_inference,
    through_the_door_metrics,
)
from riskmodels.training.samples import ThroughTheDoor, booked_sample, through_the_door_sample
from riskmodels.training.scorecard import (
    SPLITS,
    FittedScorecard,
    ScorecardPipelineConfig,
    ScorecardSample,
    fit_scorecard,
    split_data,
    split_frames,
    train_and_register,
)
from riskmodels.training.steps import (
    TrainingResult,
    data_fingerprint,
    flatten,
    read_optional,
    read_tables,
    require_clean,
)


class ChallengerConfig(BaseModel):
    model_name: str = ModelKind.CHALLENGER.registered_name


class ApplicationConfig(ScorecardPipelineConfig):
    """``application.yaml``: the scorecard pipeline plus its challenger and reject inference."""

    challenger: ChallengerConfig = ChallengerConfig()
    reject_inference: RejectInferenceConfig = Field(
        default_factory=lambda: RejectInferenceConfig.model_validate({}))


def train_challenger(sample: ScorecardSample, fitted: FittedScorecard, cfg: ApplicationConfig, data_hash: str,
                     data_dir: Path, bank: BankGates | None = None) -> tuple[np.ndarray, TrainingResult]:
    """LightGBM on the A card's candidates and training rows, logged and registered in its own
    run (alias ``challenger`` when the bank's gates pass); returns its PD for every row of
    ``sample`` and its training result."""
    bank = bank or load_gates()
    train = (fitted.split == "train").to_numpy()
    model = GBMChallenger(features=cfg.scorecard.features).fit(sample.features[train], sample.event[train])
    data = DataRecord(data_hash, {s: int((fitted.split == s).sum()) for s in SPLITS})
    name = registry.run_name("application challenger", data.total, data_hash)
    with registry.training_run("application_challenger", name) as run_id:
        registry.log_params({"data.hash": data_hash, **{f"rows.{s}": n for s, n in data.rows.items()},
                             "target": cfg.target, **flatten("split", cfg.split)})
        pd_all = np.asarray(model.predict_pd(sample.features))
        points = cfg.scorecard.scale.to_points(pd_all)
        metrics = evaluate_splits(split_data(sample, fitted.split, pd_all, points), bands=fitted.bands).metrics
        registry.log_metrics(metrics)
        log_datasets(split_frames(sample, fitted.split), cfg.challenger.model_name, data_dir, "event",
                     data_fingerprint)
        log_gbm_evidence(model, sample.features, sample.event, pd_all, fitted.split)
        oot = (fitted.split == "oot").to_numpy()
        registration = register_with_governance(
            cfg.challenger.model_name, make_spec("application_challenger", "applications", model.to_dict()),
            sample.input_example(), metrics, sample.inputs(oot), sample.event[oot], data, bank)
    result = TrainingResult("application_challenger", cfg.challenger.model_name, run_id, registration.version,
                            metrics, gates=registration.gates, comparison=registration.comparison)
    return pd_all, result


def first_oot_month(sample: ScorecardSample, split: pd.Series) -> pd.Period:
    months = sample.dates[(split == "oot").to_numpy()].dt.to_period("M")
    return cast(pd.Period, months.min())  # pandas-stubs type a Series' min as Any


@dataclass
class RejectInferenceFit:
    """``fit_rows`` for ``fit_scorecard`` with the configured reject inference: every fit (the
    final card and each calibration refit) adds the rejects of the development months, inferred
    from a card fitted on those rows alone. ``first`` keeps the final card's inferred rows (the
    final fit comes first)."""

    sample: ScorecardSample
    rejects: pd.DataFrame
    config: ApplicationConfig
    first: InferredRejects | None = None

    def __call__(self, rows: np.ndarray) -> ScorecardModel:
        fit = fit_with_reject_inference(self.sample.features.iloc[rows], self.sample.event[rows], self.rejects,
                                        self.config.scorecard, self.config.reject_inference)
        if self.first is None:
            self.first = fit.inferred
        return fit.model


def reject_inference_fit(sample: ScorecardSample, door: ThroughTheDoor, cfg: ApplicationConfig
                         ) -> RejectInferenceFit | None:
    """The reject-inference fitter, or None for ``method: none`` (the plain fit). The rejects are
    the applications not booked in the development months (never the out-of-time ones)."""
    if cfg.reject_inference.method == "none":
        return None
    first_oot = first_oot_month(sample, split_by_month(sample.dates, cfg.split))
    rejects = door.features[(~door.booked & (door.dates.dt.to_period("M") < first_oot)).to_numpy()]
    return RejectInferenceFit(sample, rejects.reset_index(drop=True), cfg)


def fit_application_card(sample: ScorecardSample, door: ThroughTheDoor, cfg: ApplicationConfig,
                         bands: RiskBands | None = None) -> tuple[FittedScorecard, InferredRejects, int]:
    """The A card, with the configured reject inference: (fitted card, the final fit's inferred
    rows, the number of rejects they came from)."""
    fitter = reject_inference_fit(sample, door, cfg)
    fitted = fit_scorecard(sample, cfg.scorecard, cfg.split, bands, cfg.calibration, fitter)
    if fitter is None:
        return fitted, InferredRejects.empty(), 0
    return fitted, fitter.first or InferredRejects.empty(), len(fitter.rejects)


def door_metrics(fitted: FittedScorecard, sample: ScorecardSample, door: ThroughTheDoor) -> dict[str, float]:
    """``through_the_door_metrics`` of the calibrated card on every application of the
    out-of-time months; empty without the simulator's truth."""
    if door.true_pd is None:
        return {}
    oot = (door.dates.dt.to_period("M") >= first_oot_month(sample, fitted.split)).to_numpy()
    return through_the_door_metrics(fitted.model.predict_pd(door.features[oot]), door.booked[oot], door.true_pd[oot],
                                    None if door.bad_if_booked is None else door.bad_if_booked[oot])


def train_application(data_dir: Path, cfg: ApplicationConfig) -> TrainingResult:
    """Train, evaluate, log and register the A card and its challenger from a portfolio folder."""
    bank = load_gates()
    for name in (cfg.model_name, cfg.challenger.model_name):
        bank.for_model(name)  # no gates for either model: fail before the fit
    tables = read_tables(data_dir, ("applications", "outcomes"))
    quality_reports = require_clean(tables, get_settings().home / "reports" / "quality")
    truth = read_optional(data_dir, "truth")
    sample = booked_sample(tables["applications"], tables["outcomes"], truth, cfg.target)
    door = through_the_door_sample(tables["applications"], tables["outcomes"], truth, cfg.target)
    fitter = reject_inference_fit(sample, door, cfg)

    data_hash = data_fingerprint(tables["applications"])

    def challenger(fitted: FittedScorecard) -> tuple[np.ndarray, TrainingResult]:
        return train_challenger(sample, fitted, cfg, data_hash, data_dir, bank)

    def evidence(fitted: FittedScorecard) -> tuple[dict[str, float], dict[str, object]]:
        metrics = door_metrics(fitted, sample, door)
        if fitter is None:  # the plain fit: no reject to infer
            return metrics, {"reject_inference.rejects": 0, "reject_inference.rows": 0}
        inferred = fitter.first or InferredRejects.empty()
        metrics["inferred_reject_bad_rate"] = inferred.bad_rate
        return metrics, {"reject_inference.rejects": len(fitter.rejects), "reject_inference.rows": len(inferred.rows)}

    # The risk classes are the lending policy's: one definition for training and decisions.
    return train_and_register("application", cfg, sample, "applications", quality_reports, data_hash,
                              challenger_pd=challenger, bands=load_policy().risk_bands(), fit_rows=fitter,
                              extra_evidence=evidence, data_dir=data_dir, gates=bank)
