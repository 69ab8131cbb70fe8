"""The evidence a LightGBM run (fraud model, A-card challenger) logs for its model document:
hyper-parameters and Platt line as params, gain importances, a SHAP summary on a fixed
out-of-time sample, the monotone constraints and the calibration by PD decile as artefacts
(paths in ``evaluation.explain``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from riskmodels import registry
from riskmodels.evaluation.explain import (
    CALIBRATION_ARTIFACT,
    IMPORTANCE_ARTIFACT,
    MONOTONE_ARTIFACT,
    SHAP_ARTIFACT,
    SHAP_SAMPLE_ROWS,
    SHAP_SEED,
    decile_calibration,
    explanation_rows,
    importance_table,
    monotone_constraints,
    shap_summary,
)
from riskmodels.models.gbm import CalibratedGBM
from riskmodels.training.steps import flatten


def log_gbm_evidence(model: CalibratedGBM, features: pd.DataFrame, event: np.ndarray, probability: np.ndarray,
                     split: pd.Series) -> None:
    """Log, into the active run, what ``evaluation.gbm_document`` reads. ``features``, ``event``,
    ``probability`` (calibrated) and ``split`` are row-aligned over every development row."""
    rows = explanation_rows(split)
    contributions = model.contribution_matrix(features.iloc[rows])
    slope, intercept = (float(v) for v in model.calibration_)
    params = {k: v for k, v in model.get_params().items() if k != "features"}
    registry.log_params({**flatten("gbm", params), "gbm.trees": model.booster_.num_trees(),
                         "gbm.features": len(model.features_), "calibration.method": "platt",
                         "calibration.slope": f"{slope:.6f}", "calibration.intercept": f"{intercept:.6f}",
                         "shap.sample": "oot", "shap.rows": len(rows), "shap.max_rows": SHAP_SAMPLE_ROWS,
                         "shap.seed": SHAP_SEED})
    registry.log_artifact_frame(importance_table(model), IMPORTANCE_ARTIFACT)
    registry.log_artifact_frame(shap_summary(contributions, model.features_), SHAP_ARTIFACT)
    registry.log_artifact_text(json.dumps(monotone_constraints(model).to_dict(), indent=1), MONOTONE_ARTIFACT)
    registry.log_artifact_frame(decile_calibration(np.asarray(event), np.asarray(probability), split),
                                CALIBRATION_ARTIFACT)
