"""Behavioural scorecard (B card): monthly snapshots → 90+ DPD in the next 6 months."""

from __future__ import annotations

from pathlib import Path

from pipelines.post_loan import run_account_scorecard
from riskmodels.training import TrainingResult


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    return run_account_scorecard("behavior", "behavior_snapshots", ["account_id", "snapshot_date"],
                                 "behavior_truth", "true_bad_6m_prob", True, data_dir, config_path)
