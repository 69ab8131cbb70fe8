"""Performance before outcomes: confidence-based performance estimation (CBPE) of AUC and bad
rate from calibrated PDs, beside the realised figures once outcomes exist."""

from __future__ import annotations

from riskmodels.monitoring.estimation.cbpe import (
    Interval,
    PerformanceEstimate,
    Realised,
    estimate,
    expected_auc,
    expected_bad_rate,
    realised,
    simulate,
)
from riskmodels.monitoring.estimation.compare import Comparison, SegmentComparison, compare

__all__ = ["Comparison", "Interval", "PerformanceEstimate", "Realised", "SegmentComparison", "compare", "estimate",
           "expected_auc", "expected_bad_rate", "realised", "simulate"]
