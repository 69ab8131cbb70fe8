"""Reject inference for the A card: give the applications the bank did not book an inferred
outcome, so the card is fitted on something closer to the population it scores.

The A card is fitted on booked loans (the only ones with an outcome) but scores every applicant.
Each method here reads only what a bank has: the not-booked applications' features and the
scores of the known-good-bad (KGB) model, the card fitted on the booked loans alone. Never the
simulator's truth, which is only for measuring the result (``through_the_door_metrics``).

* ``hard_cutoff``: a reject whose KGB PD is at or above a cut-off is bad, the others good. The
  cut-off is ``cutoff_pd`` or, by default, the one that makes ``bad_rate_factor`` times the
  rejects' expected bads (the sum of their KGB PDs) bad, riskiest first.
* ``fuzzy``: each reject becomes two rows, bad with weight ``p`` and good with weight ``1 - p``,
  ``p = min(1, bad_rate_factor * KGB PD)``; the card is fitted with these weights.
* ``parcelling``: the booked training rows are cut into ``bands`` bands of KGB PD (equal counts);
  the rejects of a band are bad at the band's observed bad rate times ``bad_rate_factor``
  (exactly that many, rounded, drawn at random within the band).

``bad_rate_factor`` is the bank's prior that a reject is riskier than a booked loan with the same
score (the approval saw more than the features; 1 = as risky). The inferred rows join the
training months only; the calibration and every evaluation stay on booked loans.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from riskmodels.evaluation.metrics import auc
from riskmodels.scorecard import ScorecardConfig, ScorecardModel

log = logging.getLogger(__name__)

Method = Literal["none", "hard_cutoff", "fuzzy", "parcelling"]
FloatArray = npt.NDArray[np.float64]


class RejectInferenceConfig(BaseModel):
    """``reject_inference:`` of ``application.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = Field(default="none", description="none: the card is fitted on booked loans alone")
    bad_rate_factor: float = Field(default=1.0, gt=0, le=10, description="How many times riskier a reject is "
                                   "taken to be than a booked loan with the same KGB score")
    cutoff_pd: float | None = Field(default=None, gt=0, lt=1, description="hard_cutoff: rejects with a KGB PD at "
                                    "or above it are bad; None: the cut-off giving bad_rate_factor x expected bads")
    bands: int = Field(default=10, ge=2, le=100, description="parcelling: KGB score bands (equal booked counts)")
    seed: int = Field(default=0, description="parcelling: which rejects of a band are drawn bad")


@dataclass(frozen=True)
class InferredRejects:
    """Training rows made from the rejects, row-aligned."""

    rows: npt.NDArray[np.int64]  # position of each row's reject (a fuzzy reject has two rows)
    event: npt.NDArray[np.int64]  # inferred bad (1) or good (0)
    weight: FloatArray  # 1, except fuzzy rows: p for the bad row, 1 - p for the good one

    def __post_init__(self) -> None:
        if not len(self.rows) == len(self.event) == len(self.weight):
            raise ValueError(f"rows, event and weight must have the same length; got {len(self.rows)}, "
                             f"{len(self.event)}, {len(self.weight)}")

    @classmethod
    def empty(cls) -> InferredRejects:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))

    @property
    def bad_rate(self) -> float:
        """The inferred bad rate of the rejects (weighted)."""
        return float(np.average(self.event, weights=self.weight)) if self.weight.sum() > 0 else float("nan")


def _as_pd(values: npt.ArrayLike, name: str) -> FloatArray:
    pd_ = np.asarray(values, dtype=float)
    if pd_.ndim != 1 or not np.isfinite(pd_).all() or (pd_ < 0).any() or (pd_ > 1).any():
        raise ValueError(f"{name} must be a 1-d array of probabilities in [0, 1]; got {pd_[:5]!r}...")
    return pd_


def default_cutoff(reject_pd: npt.ArrayLike, bad_rate_factor: float) -> float:
    """The KGB PD at or above which ``bad_rate_factor`` times the rejects' expected bads sit."""
    p = _as_pd(reject_pd, "reject_pd")
    n_bad = int(round(min(len(p), bad_rate_factor * p.sum())))
    if n_bad == 0:
        return float("inf")  # no reject is bad
    return float(np.sort(p)[::-1][n_bad - 1])


def hard_cutoff(reject_pd: npt.ArrayLike, cutoff_pd: float) -> InferredRejects:
    """Rejects at or above ``cutoff_pd`` are bad, the rest good; one row each."""
    p = _as_pd(reject_pd, "reject_pd")
    rows = np.arange(len(p), dtype=np.int64)
    return InferredRejects(rows, (p >= cutoff_pd).astype(np.int64), np.ones(len(p)))


def fuzzy(reject_pd: npt.ArrayLike, bad_rate_factor: float = 1.0) -> InferredRejects:
    """Each reject twice: bad with weight ``p``, good with weight ``1 - p`` (they sum to one)."""
    p = np.minimum(1.0, bad_rate_factor * _as_pd(reject_pd, "reject_pd"))
    rows = np.repeat(np.arange(len(p), dtype=np.int64), 2)
    event = np.tile(np.array([1, 0], dtype=np.int64), len(p))
    weight = np.column_stack([p, 1.0 - p]).ravel()
    return InferredRejects(rows, event, weight)


def band_edges(booked_pd: npt.ArrayLike, bands: int) -> FloatArray:
    """Inner edges of ``bands`` equal-count bands of the booked rows' KGB PD (ties merge bands)."""
    p = _as_pd(booked_pd, "booked_pd")
    return np.unique(np.quantile(p, np.linspace(0, 1, bands + 1)[1:-1]))


def parcelling(reject_pd: npt.ArrayLike, booked_pd: npt.ArrayLike, booked_event: npt.ArrayLike, bands: int,
               bad_rate_factor: float, rng: np.random.Generator) -> InferredRejects:
    """In each KGB score band, ``round(min(1, factor * booked bad rate) * rejects)`` of the band's
    rejects, drawn at random, are bad; the others good. Rejects beyond the booked range fall in
    the outer bands."""
    p, booked = _as_pd(reject_pd, "reject_pd"), _as_pd(booked_pd, "booked_pd")
    y = np.asarray(booked_event, dtype=np.int64)
    if y.shape != booked.shape or not np.isin(y, (0, 1)).all():
        raise ValueError(f"booked_event must be 0/1, one per booked PD ({len(booked)}); got shape {y.shape}")
    edges = band_edges(booked, bands)
    booked_band, reject_band = np.digitize(booked, edges), np.digitize(p, edges)
    event = np.zeros(len(p), dtype=np.int64)
    for band in np.unique(reject_band):
        members = np.flatnonzero(reject_band == band)
        in_band = booked_band == band
        rate = min(1.0, bad_rate_factor * y[in_band].mean()) if in_band.any() else 0.0
        event[rng.permutation(members)[:int(round(rate * len(members)))]] = 1
    return InferredRejects(np.arange(len(p), dtype=np.int64), event, np.ones(len(p)))


def infer_rejects(reject_pd: npt.ArrayLike, booked_pd: npt.ArrayLike, booked_event: npt.ArrayLike,
                  cfg: RejectInferenceConfig) -> InferredRejects:
    """The configured method's rows for the rejects (none: no rows)."""
    if cfg.method == "hard_cutoff":
        cutoff = cfg.cutoff_pd if cfg.cutoff_pd is not None else default_cutoff(reject_pd, cfg.bad_rate_factor)
        return hard_cutoff(reject_pd, cutoff)
    if cfg.method == "fuzzy":
        return fuzzy(reject_pd, cfg.bad_rate_factor)
    if cfg.method == "parcelling":
        return parcelling(reject_pd, booked_pd, booked_event, cfg.bands, cfg.bad_rate_factor,
                          np.random.default_rng(cfg.seed))
    return InferredRejects.empty()


@dataclass
class AugmentedFit:
    """The card fitted on booked loans plus inferred rejects, and what was inferred."""

    model: ScorecardModel
    inferred: InferredRejects


def fit_with_reject_inference(booked_X: pd.DataFrame, booked_y: npt.ArrayLike, reject_X: pd.DataFrame,
                              config: ScorecardConfig, cfg: RejectInferenceConfig) -> AugmentedFit:
    """Fit the KGB card on the booked rows, infer the rejects' outcomes from its PDs, and refit on
    both (binning, selection and the logistic fit); ``none`` returns the KGB card itself."""
    y = np.asarray(booked_y, dtype=np.int64)
    kgb = ScorecardModel.from_config(config).fit(booked_X, y)
    if cfg.method == "none" or len(reject_X) == 0:
        return AugmentedFit(kgb, InferredRejects.empty())
    inferred = infer_rejects(kgb.predict_pd(reject_X), kgb.predict_pd(booked_X), y, cfg)
    X = pd.concat([booked_X, reject_X.iloc[inferred.rows]], ignore_index=True)
    target = np.concatenate([y, inferred.event])
    # Only fuzzy rows carry weights other than one; the others fit exactly as booked rows do.
    weight = np.concatenate([np.ones(len(y)), inferred.weight]) if cfg.method == "fuzzy" else None
    log.info("reject inference %s: %d booked rows, %d rows from %d rejects (inferred bad rate %.4f)",
             cfg.method, len(y), len(inferred.rows), len(reject_X), inferred.bad_rate)
    return AugmentedFit(ScorecardModel.from_config(config).fit(X, target, sample_weight=weight), inferred)


def through_the_door_metrics(pd_: npt.ArrayLike, booked: npt.ArrayLike, true_pd: npt.ArrayLike,
                             bad_if_booked: npt.ArrayLike | None) -> dict[str, float]:
    """The card against the truth on every application (booked or not) of the same months.
    "Rejected" is every application not booked: declined, or approved and never drawn.

    ``ttd_auc`` ranks the applications' outcomes had they been booked; ``oracle_ttd_auc`` is the
    true PD's AUC on the same rows and labels; ``ttd_auc_to_oracle`` their ratio. On the
    applications not booked: the card's mean PD against the mean true PD and the observed
    counterfactual bad rate, and their ratios (1 = right on average). Without counterfactual
    outcomes only the PD comparison is returned.
    """
    p, truth = _as_pd(pd_, "pd"), _as_pd(true_pd, "true_pd")
    was_booked = np.asarray(booked, dtype=bool)
    rejected = ~was_booked
    out: dict[str, float] = {}
    if rejected.any():
        out.update(rejected_mean_pd=float(p[rejected].mean()), rejected_true_pd=float(truth[rejected].mean()))
        out["rejected_pd_to_true"] = out["rejected_mean_pd"] / out["rejected_true_pd"]
    if bad_if_booked is None:
        return out
    y = np.asarray(bad_if_booked, dtype=np.int64)
    out.update(ttd_auc=auc(y, p), oracle_ttd_auc=auc(y, truth))
    out["ttd_auc_to_oracle"] = out["ttd_auc"] / out["oracle_ttd_auc"]
    if rejected.any():
        out["rejected_bad_rate"] = float(y[rejected].mean())
        out["rejected_pd_to_bad_rate"] = out["rejected_mean_pd"] / out["rejected_bad_rate"]
        if 0 < y[rejected].sum() < rejected.sum():
            out.update(rejected_auc=auc(y[rejected], p[rejected]), oracle_rejected_auc=auc(y[rejected], truth[rejected]))
    return out
