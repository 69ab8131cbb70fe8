"""Drift and back-testing of a registered scorecard: score PSI, CSI, data changes, classes and
back-tests, as a report a validator opens and an MLflow run on the model version."""

from __future__ import annotations

from riskmodels.monitoring.drift.analysis import DriftResult, compute_drift, run_drift

__all__ = ["DriftResult", "compute_drift", "run_drift"]
