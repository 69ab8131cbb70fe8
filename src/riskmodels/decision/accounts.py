"""The post-loan decisions: the B card (an account's month) and the C card (a delinquent
account's collection case), for one row and for a batch of rows.

Scoring runs the same code as training and the portfolio monitor: the champion's spec through
``scorer_from_spec`` (features, compiled scorecard, risk classes), then the post-loan policy
(``behavior_actions``, ``collection_plan``) over the rows as one frame. A single row takes the
same formulas on Python scalars (``*_features_one``, ``characteristic_points_one``,
``behavior_action_one``, ``collection_plan_one``): the same answer, to the last bit, without
the frames that cost ~3 ms a request. The reasons come from the same engine as the application
and fraud reasons (``decision.reasons``), with the B and C feature catalogues.

Neither card is needed for an application decision: each is served once its ``champion`` is
registered (``registry.champions.load_account_models``); until then ``AccountModels.get``
raises ``ModelNotDeployed`` saying which model is missing, never a made-up score.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, overload

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from riskmodels.config import ModelKind
from riskmodels.decision.application import ModelVersion
from riskmodels.decision.frame_reasons import scorecard_reasons_frame
from riskmodels.decision.reasons import ReasonCode, top_adverse
from riskmodels.features.behavior import behavior_features_one
from riskmodels.features.collection import collection_features_one
from riskmodels.models.specs import ScorecardScorer
from riskmodels.policy.master_scale import MasterScale, default_master_scale
from riskmodels.policy.post_loan import (
    Action,
    PostLoanPolicy,
    Treatment,
    behavior_action_one,
    behavior_actions,
    collection_plan,
    collection_plan_one,
)

# The contract table each card reads: a champion reading another is refused when it loads.
INPUT_TABLES: dict[ModelKind, str] = {ModelKind.BEHAVIOR: "behavior_snapshots",
                                      ModelKind.COLLECTION: "collection_cases"}
# One row's features without a frame: the one-row forms of the builders the specs name.
_ONE_ROW_FEATURES: dict[ModelKind, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    ModelKind.BEHAVIOR: behavior_features_one, ModelKind.COLLECTION: collection_features_one}
TOP_REASONS = 4


@overload
def twelve_month_pd(pd_6m: float) -> float: ...
@overload
def twelve_month_pd(pd_6m: np.ndarray) -> np.ndarray: ...
def twelve_month_pd(pd_6m: float | np.ndarray) -> float | np.ndarray:
    """The 12-month PD of a 6-month PD at a constant hazard: 1 - (1 - pd_6m)^2, the chance of
    not surviving two half-years alike. The master scale grades 12-month PDs. Computed as
    pd_6m * (2 - pd_6m), the same number without the cancellation at small PDs, and never
    below pd_6m in floating point."""
    return pd_6m * (2.0 - pd_6m)


def behavior_grades(pds: np.ndarray, master_scale: MasterScale) -> tuple[np.ndarray, list[str]]:
    """12-month PDs of the B card's 6-month PDs and their master-scale grades: the same for
    one answer, a batch of answers and a batch file."""
    pd_12m = twelve_month_pd(np.asarray(pds, dtype=float))
    return pd_12m, [master_scale.grade_of(float(p)).name for p in pd_12m]


class ModelNotDeployed(LookupError):
    """A B or C card was asked for while it has no loaded champion; nothing was scored."""


class BehaviorResult(BaseModel):
    """The B card's answer for one account-month."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    account_id: str
    snapshot_date: date
    score: float = Field(description="B-card score 0-100, higher is safer")
    pd: float = Field(description="Probability of 90+ days past due in the next 6 months")
    pd_12m: float = Field(description=(
        "12-month PD, the master scale's horizon, from the 6-month pd at a constant hazard: "
        "1 - (1 - pd)^2, not surviving two half-years alike; always at least pd"))
    grade: str = Field(description="Master-scale grade (policy/master_scale.yaml) of pd_12m")
    risk_class: str
    action: Action = Field(description="renew (续贷 without repaying first), keep, reduce or freeze the unused limit")
    limit_amount: float = Field(description="Current limit (CNY)")
    new_limit: float = Field(description="Limit after this month's adjustment (CNY)")
    limit_change_share: float = Field(description="new_limit / limit_amount - 1")
    unused_limit_frozen: bool
    available_limit: float = Field(description="What the account may still draw (CNY)")
    reasons: list[ReasonCode] = Field(description="Top adverse characteristics (points)")
    models: list[ModelVersion]


class CollectionResult(BaseModel):
    """The C card's answer for one collection case.

    No master-scale grade: the C card predicts a cure probability within 30 days, not a
    probability of default, so the master scale's PD grades do not apply to it.
    """

    model_config = ConfigDict(frozen=True)

    request_id: str
    case_id: str
    account_id: str
    score: float = Field(description="C-card score 0-100, higher is likelier to cure")
    cure_probability: float = Field(description="Probability the case cures within 30 days")
    expected_recovery: float = Field(description="cure_probability x balance (CNY)")
    treatment: Treatment
    priority: int = Field(description="Call order among the cases of this request (1 = first)")
    reasons: list[ReasonCode] = Field(description="Top adverse characteristics (points)")
    models: list[ModelVersion]


@dataclass(frozen=True)
class AccountModel:
    """A loaded B or C champion: its scorer and where it came from."""

    kind: ModelKind
    scorer: ScorecardScorer
    name: str
    version: str
    run_id: str | None
    metrics: Mapping[str, float]

    def __post_init__(self) -> None:
        if self.kind not in INPUT_TABLES:
            raise ValueError(f"kind must be one of {[str(k) for k in INPUT_TABLES]}; got {self.kind!r}")
        if not isinstance(self.scorer, ScorecardScorer):
            raise TypeError(f"scorer must be a ScorecardScorer; got {type(self.scorer).__name__}")

    @property
    def model_versions(self) -> list[ModelVersion]:
        return [ModelVersion(name=self.name, version=self.version)]


@dataclass(frozen=True)
class AccountModels:
    """The B and C champions that loaded, and why the others are not served."""

    models: Mapping[ModelKind, AccountModel] = field(default_factory=dict)
    problems: Mapping[ModelKind, str] = field(default_factory=dict)
    policy: PostLoanPolicy | None = None
    master_scale: MasterScale = field(default_factory=default_master_scale)  # grades the B card's PDs

    def get(self, kind: ModelKind) -> tuple[AccountModel, PostLoanPolicy]:
        """The card of ``kind`` and the post-loan policy; ``ModelNotDeployed`` says why not."""
        model = self.models.get(kind)
        if model is None or self.policy is None:
            problem = self.problems.get(kind, "not loaded")
            raise ModelNotDeployed(f"the {kind} scorecard is not deployed: {problem}; nothing was scored")
        return model, self.policy


def _reasons(model: AccountModel, features: Mapping[str, Any], points: Sequence[float]) -> list[ReasonCode]:
    """Top adverse characteristics of one row: SHAP (points minus development mean) below zero,
    from one row's features and points in spec order (the same for one request and each row of
    a batch)."""
    card = model.scorer.scorecard
    return top_adverse(((c.name, p - c.mean_points, c.max_points - p)
                        for c, p in zip(card.characteristics, points, strict=True)),
                       features, model.kind, "points", -1, TOP_REASONS, card=card)


def _scored(model: AccountModel, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[list[ReasonCode]]]:
    """Scores, PDs and reasons of the rows: features and points computed once
    (``ScorecardScorer.score_frame`` would build both twice), the same sums as the scorer's."""
    features = model.scorer.build(frame)
    card = model.scorer.scorecard
    points = card.characteristic_points(features).to_numpy()
    total = np.zeros(len(points))
    for j in range(points.shape[1]):  # in spec order, as the scorer sums: the same rounding
        total += points[:, j]
    reasons = scorecard_reasons_frame(card, points, features, model.kind, TOP_REASONS)  # _reasons, on arrays
    return card.scale.clip(total), card.pd_from_points(total), reasons


def _scored_one(model: AccountModel, row: Mapping[str, Any]) -> tuple[float, float, list[ReasonCode]]:
    """``_scored`` of one row on Python scalars: the same feature formulas (``*_features_one``)
    and bins (``characteristic_points_one``), summed in the same order, with no frame built:
    pandas overhead was nearly all of a single request's time."""
    features = _ONE_ROW_FEATURES[model.kind](row)
    card = model.scorer.scorecard
    points = list(card.characteristic_points_one(features).values())
    total = 0.0
    for p in points:  # in spec order, as ``_scored`` sums
        total += p
    return card.scale.clip(total), card.pd_from_points(total), _reasons(model, features, points)


def score_behavior(models: AccountModels, rows: Sequence[Mapping[str, Any]]) -> list[BehaviorResult]:
    """The B card's answers for account-months given as dicts of contract columns (JSON values)."""
    model, policy = models.get(ModelKind.BEHAVIOR)
    actions: Sequence[Mapping[Any, Any]]  # one-row dicts or the frame's records
    if len(rows) == 1:
        score, pd_, reasons = _scored_one(model, rows[0])
        scores, pds, all_reasons = np.array([score]), np.array([pd_]), [reasons]
        actions = [behavior_action_one(rows[0], score, policy)]
    else:
        frame = pd.DataFrame(list(rows))
        scores, pds, all_reasons = _scored(model, frame)
        actions = behavior_actions(frame, scores, policy).to_dict("records")
    pds_12m, grades = behavior_grades(pds, models.master_scale)
    versions = model.model_versions
    return [BehaviorResult(request_id=uuid.uuid4().hex, account_id=row["account_id"],
                           snapshot_date=row["snapshot_date"], score=float(score), pd=float(pd_),
                           pd_12m=float(pd_12m), grade=grade,
                           risk_class=str(a["risk_class"]), action=a["action"],
                           limit_amount=a["limit_amount"], new_limit=a["new_limit"],
                           limit_change_share=a["limit_change_share"],
                           unused_limit_frozen=bool(a["unused_limit_frozen"]),
                           available_limit=a["available_limit"], reasons=r, models=versions)
            for row, score, pd_, pd_12m, grade, a, r in zip(rows, scores, pds, pds_12m, grades, actions, all_reasons,
                                                            strict=True)]


def score_collection(models: AccountModels, rows: Sequence[Mapping[str, Any]]) -> list[CollectionResult]:
    """The C card's answers for collection cases given as dicts of contract columns (JSON
    values); ``priority`` orders the cases of this call (1 = call first)."""
    model, policy = models.get(ModelKind.COLLECTION)
    plans: Sequence[Mapping[Any, Any]]  # one-row dicts or the frame's records
    if len(rows) == 1:
        score, pd_, reasons = _scored_one(model, rows[0])
        # The C card's bad event is "not cured within 30 days".
        plans = [collection_plan_one(rows[0], 1.0 - pd_, policy)]
        scores, all_reasons = np.array([score]), [reasons]
    else:
        frame = pd.DataFrame(list(rows))
        scores, pds, all_reasons = _scored(model, frame)
        plans = collection_plan(frame, 1.0 - pds, policy).sort_index().to_dict("records")
    versions = model.model_versions
    return [CollectionResult(request_id=uuid.uuid4().hex, case_id=row["case_id"], account_id=row["account_id"],
                             score=float(score), cure_probability=p["cure_prob"],
                             expected_recovery=p["expected_recovery"], treatment=p["treatment"],
                             priority=int(p["priority"]), reasons=r, models=versions)
            for row, score, p, r in zip(rows, scores, plans, all_reasons, strict=True)]
