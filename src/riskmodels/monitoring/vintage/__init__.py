"""Vintage curves, roll-rate matrices and the evidence behind the bad definition (账龄分析)."""

from riskmodels.monitoring.vintage.analysis import (
    BUCKETS,
    RollRates,
    VintageAnalysis,
    WindowEvidence,
    analyse_vintages,
    read_snapshots,
    roll_rates,
)

__all__ = ["BUCKETS", "RollRates", "VintageAnalysis", "WindowEvidence", "analyse_vintages", "read_snapshots",
           "roll_rates"]
