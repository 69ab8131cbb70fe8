"""Metrics, calibration tests, plots and the validation report every model is judged by.

Conventions: ``y`` is 1 for the bad event, ``pd`` its probability, ``score`` points (higher = safer).
"""

from riskmodels.evaluation.report import (
    DEFAULT_BANDS,
    EvaluationResult,
    SplitData,
    SplitEvaluation,
    assign_bands,
    earliest_per_account,
    evaluate_splits,
    validation_report,
)

__all__ = ["DEFAULT_BANDS", "EvaluationResult", "SplitData", "SplitEvaluation", "assign_bands",
           "earliest_per_account", "evaluate_splits", "validation_report"]
