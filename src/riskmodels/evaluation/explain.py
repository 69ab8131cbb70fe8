"""What a LightGBM model's document shows beyond its metrics, computed once at training time and
logged with the run (``training.gbm_evidence``): gain importances, a SHAP summary from
path-dependent TreeSHAP (LightGBM's ``pred_contrib``, from ``models.tree_shap``'s tables) on a
fixed sample, the monotone constraints the
booster was trained with, and the calibration by PD decile.

Artefact paths are named here so the training run and the document agree on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.evaluation.calibration import calibration_table
from riskmodels.models.gbm import CalibratedGBM

IMPORTANCE_ARTIFACT = "model/feature_importance.csv"
LEGACY_IMPORTANCE_ARTIFACT = "model/importance.csv"  # the fraud runs before issue 18: feature, gain
SHAP_ARTIFACT = "model/shap_summary.csv"
MONOTONE_ARTIFACT = "model/monotone_constraints.json"
CALIBRATION_ARTIFACT = "model/calibration_table.csv"
SHAP_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SHAP_SAMPLE_ROWS = 2000  # enough for stable means; TreeSHAP on it takes well under a second
SHAP_SEED = 7


def explanation_rows(split: pd.Series | np.ndarray, size: int = SHAP_SAMPLE_ROWS, seed: int = SHAP_SEED,
                     sample: str = "oot") -> np.ndarray:
    """Sorted positions of the SHAP sample: up to ``size`` rows of ``sample`` (the out-of-time
    rows, the population a validator cares about), drawn without replacement with ``seed``."""
    if size < 1:
        raise ValueError(f"size must be at least 1; got {size}")
    candidates = np.flatnonzero(np.asarray(split) == sample)
    if len(candidates) == 0:
        raise ValueError(f"split must have {sample!r} rows to explain; got none")
    if len(candidates) <= size:
        return candidates
    return np.sort(np.random.default_rng(seed).choice(candidates, size=size, replace=False))


def importance_table(model: CalibratedGBM) -> pd.DataFrame:
    """Per feature, by descending gain: total gain, its share, and the number of splits."""
    booster = model.booster_
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=float)
    splits = np.asarray(booster.feature_importance(importance_type="split"), dtype=int)
    table = pd.DataFrame({"feature": list(model.features_), "gain": gain,
                          "gain_share": gain / gain.sum() if gain.sum() > 0 else np.zeros_like(gain),
                          "splits": splits})
    return table.sort_values(["gain", "feature"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def shap_summary(contributions: np.ndarray, features: Sequence[str]) -> pd.DataFrame:
    """Per feature, by descending mean |SHAP|: the mean absolute and signed contribution (raw
    log-odds) and the quantiles of its distribution. ``contributions`` is
    ``contribution_matrix``'s output (``pred_contrib``'s layout): one column per feature, then the bias."""
    values = np.asarray(contributions, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(features) + 1:
        raise ValueError(f"contributions must have one column per feature plus the bias ({len(features) + 1}); "
                         f"got shape {values.shape}")
    shap = values[:, :-1]
    table = pd.DataFrame({"feature": list(features), "mean_abs_shap": np.abs(shap).mean(axis=0),
                          "mean_shap": shap.mean(axis=0)})
    for q, column in zip(SHAP_QUANTILES, np.quantile(shap, SHAP_QUANTILES, axis=0), strict=True):
        table[f"p{round(q * 100):02d}"] = column
    return table.sort_values(["mean_abs_shap", "feature"], ascending=[False, True],
                             kind="mergesort").reset_index(drop=True)


@dataclass(frozen=True)
class MonotoneConstraints:
    """The constraints the booster was trained with (+1: risk rises with the feature)."""

    method: str
    constraints: Mapping[str, int]

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "constraints": dict(self.constraints)}


def monotone_constraints(model: CalibratedGBM) -> MonotoneConstraints:
    """Read from the booster's own parameters (what it was trained with), not re-derived."""
    params = model.booster_.params
    raw = params.get("monotone_constraints") or [0] * len(model.features_)
    if len(raw) != len(model.features_):
        raise ValueError(f"monotone_constraints must have one entry per feature ({len(model.features_)}); "
                         f"got {len(raw)}")
    return MonotoneConstraints(str(params.get("monotone_constraints_method", "basic")),
                               {f: int(c) for f, c in zip(model.features_, raw, strict=True)})


def decile_calibration(event: np.ndarray, probability: np.ndarray, split: pd.Series | np.ndarray,
                       splits: Sequence[str] = ("train", "test", "oot"), groups: int = 10) -> pd.DataFrame:
    """``calibration_table`` by PD decile for each split, stacked with a ``split`` column."""
    labels = np.asarray(split)
    frames = []
    for name in splits:
        mask = labels == name
        if mask.sum() >= groups:
            frames.append(calibration_table(event[mask], probability[mask], groups).assign(split=name))
    if not frames:
        raise ValueError(f"split must hold at least {groups} rows in one of {list(splits)}; got none")
    table = pd.concat(frames, ignore_index=True)
    return table[["split", *[c for c in table.columns if c != "split"]]]
