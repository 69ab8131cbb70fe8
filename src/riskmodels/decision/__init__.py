"""Decisions: ``decide`` / ``decide_frame`` for applications, the B and C account decisions,
their reasons and the bundle of models they run."""

from __future__ import annotations

from riskmodels.decision.accounts import (
    AccountModel,
    AccountModels,
    BehaviorResult,
    CollectionResult,
    ModelNotDeployed,
    score_behavior,
    score_collection,
)
from riskmodels.decision.application import (
    ROW_COLUMNS,
    CreditResult,
    Decision,
    FraudResult,
    ModelBundle,
    ModelVersion,
    decide,
    decision_row,
)
from riskmodels.decision.diligence import DiligenceDecision, FindingsInvalid, rescore
from riskmodels.decision.frame import decide_frame
from riskmodels.decision.reasons import ReasonCode

__all__ = ["ROW_COLUMNS", "AccountModel", "AccountModels", "BehaviorResult", "CollectionResult", "CreditResult",
           "Decision", "DiligenceDecision", "FindingsInvalid", "FraudResult", "ModelBundle", "ModelNotDeployed",
           "ModelVersion", "ReasonCode", "decide", "decide_frame", "decision_row", "rescore", "score_behavior",
           "score_collection"]
