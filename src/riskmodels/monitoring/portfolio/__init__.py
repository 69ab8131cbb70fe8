"""The nightly early-warning batch over every active loan: rules, B card, alerts and report."""

from __future__ import annotations

from riskmodels.monitoring.portfolio.monitor import (
    FrameScorer,
    MonitorResult,
    monitor_portfolio,
    read_snapshots,
    run_portfolio_monitor,
    write_monitor_outputs,
)

__all__ = ["FrameScorer", "MonitorResult", "monitor_portfolio", "read_snapshots", "run_portfolio_monitor",
           "write_monitor_outputs"]
