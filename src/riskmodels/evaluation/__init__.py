"""Metrics, calibration tests, plots and the validation report."""

from riskmodels.evaluation.report import EvaluationResult, SplitData, evaluate_splits, validation_report

__all__ = ["EvaluationResult", "SplitData", "evaluate_splits", "validation_report"]
