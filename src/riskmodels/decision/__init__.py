"""Decisions: ``decide`` / ``decide_frame`` for applications, the B and C account decisions,
their reasons and the bundle of models they run."""

from __future__ import annotations

from riskmodels.decision.application import (
    ROW_COLUMNS, CreditResult, Decision, FraudResult, ModelBundle, ModelVersion, decide, decide_frame, decision_row,
)

__all__ = ["ROW_COLUMNS", "CreditResult", "Decision", "FraudResult", "ModelBundle", "ModelVersion", "decide",
           "decide_frame", "decision_row"]
