"""The post-loan scorecards in the service: the B card (an account's month) and the C card (a
delinquent account's collection case).

Neither is required for the service to be ready: an application decision needs only the A card
and the fraud model. Each is served once its ``champion`` is registered; until then its route
answers 503 and says which model is missing, never a made-up score.

Scoring runs the same code as training and the portfolio monitor: the champion's spec through
``scorer_from_spec`` (features, compiled scorecard, risk classes), then the post-loan policy
(``behavior_actions``, ``collection_plan``) over the request's rows as one frame. A single row
takes the same formulas on Python scalars (``*_features_one``, ``characteristic_points_one``,
``behavior_action_one``): the same answer without the frames that cost ~3 ms a request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field

from riskmodels.audit import AuditRecord, input_sha256
from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.decision import ModelVersion
from riskmodels.features.behavior import BEHAVIOR_FEATURES, behavior_features_one
from riskmodels.features.catalogue import FeatureInfo
from riskmodels.features.collection import COLLECTION_FEATURES, collection_features_one
from riskmodels.models.specs import ScorecardScorer
from riskmodels.policy.post_loan import (
    Action, PostLoanPolicy, Treatment, behavior_action_one, behavior_actions, collection_plan,
    collection_plan_one,
)
from riskmodels.contract.privacy import mask_record

log = logging.getLogger("riskmodels.serving")

AccountKind = Literal["behavior", "collection"]
ACCOUNT_KINDS: tuple[AccountKind, ...] = ("behavior", "collection")
_INPUT_TABLE = {"behavior": "behavior_snapshots", "collection": "collection_cases"}
_CATALOGUE: dict[str, Mapping[str, FeatureInfo]] = {"behavior": BEHAVIOR_FEATURES, "collection": COLLECTION_FEATURES}
# One request's features without a frame: the one-row forms of the builders _load_one checks.
_ONE_ROW_FEATURES = {"behavior": behavior_features_one, "collection": collection_features_one}
TOP_REASONS = 4
_TOLERANCE = 1e-9


class AccountReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable reason code, e.g. R_BH_WORST_DPD_6M")
    feature: str = Field(description="The characteristic")
    value: float | str | None = Field(description="The account's value (null when missing)")
    contribution: float = Field(description="SHAP value in points: points minus the development mean (adverse < 0)")
    points_lost: float = Field(description="Points below the characteristic's best bin")
    text_zh: str
    text_en: str


class BehaviorResult(BaseModel):
    """The B card's answer for one account-month."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    account_id: str
    snapshot_date: date
    score: float = Field(description="B-card score 0-100, higher is safer")
    pd: float = Field(description="Probability of 90+ days past due in the next 6 months")
    risk_class: str
    action: Action = Field(description="renew (续贷 without repaying first), keep, reduce or freeze the unused limit")
    limit_amount: float = Field(description="Current limit (CNY)")
    new_limit: float = Field(description="Limit after this month's adjustment (CNY)")
    limit_change_share: float = Field(description="new_limit / limit_amount - 1")
    unused_limit_frozen: bool
    available_limit: float = Field(description="What the account may still draw (CNY)")
    reasons: list[AccountReason] = Field(description="Top adverse characteristics")
    models: list[ModelVersion]


class CollectionResult(BaseModel):
    """The C card's answer for one collection case."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    case_id: str
    account_id: str
    score: float = Field(description="C-card score 0-100, higher is likelier to cure")
    cure_probability: float = Field(description="Probability the case cures within 30 days")
    expected_recovery: float = Field(description="cure_probability x balance (CNY)")
    treatment: Treatment
    priority: int = Field(description="Call order among the cases of this request (1 = first)")
    reasons: list[AccountReason] = Field(description="Top adverse characteristics")
    models: list[ModelVersion]


@dataclass(frozen=True)
class AccountModel:
    kind: AccountKind
    scorer: ScorecardScorer
    name: str
    version: str
    run_id: str | None
    metrics: Mapping[str, float]

    @property
    def model_versions(self) -> list[ModelVersion]:
        return [ModelVersion(name=self.name, version=self.version)]


@dataclass(frozen=True)
class AccountModels:
    """The B and C champions that loaded, and why the others are not served."""

    models: Mapping[str, AccountModel] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)
    policy: PostLoanPolicy | None = None

    def get(self, kind: AccountKind) -> tuple[AccountModel, PostLoanPolicy]:
        model = self.models.get(kind)
        if model is None or self.policy is None:
            problem = self.problems.get(kind, "not loaded")
            raise HTTPException(503, f"the {kind} scorecard is not deployed: {problem}; nothing was scored")
        return model, self.policy


def _load_one(kind: AccountKind) -> AccountModel:
    from mlflow.exceptions import MlflowException

    from riskmodels import registry
    from riskmodels.models.specs import scorer_from_spec

    name = REGISTERED_MODELS[kind]
    try:
        spec, version = registry.load_spec(name, registry.CHAMPION)
    except MlflowException as exc:
        raise LookupError(f"no `champion` of {name} in the registry ({exc.error_code})") from exc
    where = f"{name} v{version.version}"
    if spec.get("input_table") != _INPUT_TABLE[kind]:
        raise LookupError(f"{where} must read {_INPUT_TABLE[kind]}; got {spec.get('input_table')!r}")
    try:
        scorer = scorer_from_spec(spec)
    except (KeyError, ValueError, TypeError) as exc:
        raise LookupError(f"{where} has a spec this code cannot load: {exc}") from exc
    if not isinstance(scorer, ScorecardScorer):
        raise LookupError(f"{where} must be a scorecard; got {spec.get('model_type')!r}")
    unknown = sorted(set(scorer.scorecard.features) - set(_CATALOGUE[kind]))
    if unknown:
        raise LookupError(f"{where} has characteristics without a reason text: {unknown}")
    return AccountModel(kind, scorer, name, version.version, version.run_id, dict(version.metrics))


def load_account_models(settings: Settings) -> AccountModels:
    """Each post-loan champion that is registered and loads; the reason for each that does not."""
    from riskmodels import registry
    from riskmodels.policy.post_loan import load_post_loan_policy

    registry.configure(settings)
    models, problems = {}, {}
    for kind in ACCOUNT_KINDS:
        try:
            models[kind] = _load_one(kind)
        except LookupError as exc:
            problems[kind] = str(exc)
            log.info("%s scorecard not served: %s", kind, exc)
    return AccountModels(models, problems, load_post_loan_policy() if models else None)


def _value(value: Any) -> float | str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else float(value)


def _reasons(model: AccountModel, values: Sequence[Any], points: Sequence[float]) -> list[AccountReason]:
    """Top adverse characteristics of one row: SHAP (points minus development mean) below zero.

    Plain Python on one row's values and points in spec order: the same code for a single
    request and for each row of a batch, and cheaper than numpy on a few dozen numbers."""
    card, catalogue = model.scorer.scorecard, _CATALOGUE[model.kind]
    out = []
    for c, value, p in zip(card.characteristics, values, points, strict=True):
        shap = p - c.mean_points
        if shap < -_TOLERANCE:
            out.append((shap, len(out), c.name, value, c.max_points - p))
    out.sort()  # most adverse first; ties keep spec order (the position breaks them)
    return [AccountReason(code="R_" + name.upper(), feature=name, value=_value(value), contribution=shap,
                          points_lost=lost, text_zh=catalogue[name].adverse_zh, text_en=catalogue[name].adverse_en)
            for shap, _, name, value, lost in out[:TOP_REASONS]]


def _scored(model: AccountModel, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[list[AccountReason]]]:
    """Scores, PDs and reasons of the rows: features and points computed once
    (``ScorecardScorer.score_frame`` would build both twice), the same sums as the scorer's."""
    features = model.scorer.build(frame)
    card = model.scorer.scorecard
    points = card.characteristic_points(features).to_numpy()
    total = np.zeros(len(points))
    for j in range(points.shape[1]):  # in spec order, as the scorer sums: the same rounding
        total += points[:, j]
    values = features[card.features].to_numpy(dtype=object)
    reasons = [_reasons(model, values[i], points[i].tolist()) for i in range(len(points))]
    return card.scale.clip(total), card.scale.to_pd(total), reasons


def _scored_one(model: AccountModel, row: Mapping[str, Any]) -> tuple[float, float, list[AccountReason]]:
    """``_scored`` of one row on Python scalars: the same feature formulas (``*_features_one``)
    and bins (``characteristic_points_one``), summed in the same order, with no frame built:
    pandas overhead was nearly all of a single request's time."""
    features = _ONE_ROW_FEATURES[model.kind](row)
    card = model.scorer.scorecard
    points = list(card.characteristic_points_one(features).values())
    total = 0.0
    for p in points:  # in spec order, as ``_scored`` sums
        total += p
    return card.scale.clip(total), card.scale.to_pd(total), _reasons(model, [features[n] for n in card.features],
                                                                     points)


def score_behavior(models: AccountModels, rows: Sequence[Mapping[str, Any]]) -> list[BehaviorResult]:
    model, policy = models.get("behavior")
    if len(rows) == 1:
        score, pd_, reasons = _scored_one(model, rows[0])
        scores, pds, all_reasons = np.array([score]), np.array([pd_]), [reasons]
        actions = [behavior_action_one(rows[0], score, policy)]
    else:
        frame = pd.DataFrame(list(rows))
        scores, pds, all_reasons = _scored(model, frame)
        actions = behavior_actions(frame, scores, policy).to_dict("records")
    versions = model.model_versions
    return [BehaviorResult(request_id=uuid.uuid4().hex, account_id=row["account_id"], snapshot_date=row["snapshot_date"],
                           score=float(score), pd=float(pd_), risk_class=str(a["risk_class"]), action=a["action"],
                           limit_amount=a["limit_amount"], new_limit=a["new_limit"],
                           limit_change_share=a["limit_change_share"],
                           unused_limit_frozen=bool(a["unused_limit_frozen"]),
                           available_limit=a["available_limit"], reasons=r, models=versions)
            for row, score, pd_, a, r in zip(rows, scores, pds, actions, all_reasons, strict=True)]


def score_collection(models: AccountModels, rows: Sequence[Mapping[str, Any]]) -> list[CollectionResult]:
    model, policy = models.get("collection")
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


def audit_records(endpoint: str, rows: Sequence[Mapping[str, Any]],
                  results: Sequence[BehaviorResult | CollectionResult]) -> list[AuditRecord]:
    """One audit record per answer, as for applications: input hash, masked input, the outcome."""
    when = datetime.now(UTC).isoformat(timespec="microseconds")
    records = []
    for row, result in zip(rows, results, strict=True):
        behavior = isinstance(result, BehaviorResult)
        records.append(AuditRecord(
            request_id=result.request_id, created_at=when, endpoint=endpoint, input_sha256=input_sha256(row),
            models={m.name: m.version for m in result.models}, score=result.score,
            risk_class=result.risk_class if behavior else None,
            limit_cny=result.new_limit if behavior else None, rate=None,
            decision=result.action if behavior else result.treatment,
            reason_codes=[r.code for r in result.reasons],
            input_masked=mask_record(row)))  # serialised once, when written, as for applications
    return records
