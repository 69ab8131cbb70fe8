"""Collection scorecard (C card): collection cases → not cured within 30 days (the bad event);
cure probability = 1 - PD."""

from __future__ import annotations

from pathlib import Path

from pipelines.post_loan import run_account_scorecard
from riskmodels.training import TrainingResult


def run(data_dir: Path, config_path: Path | None = None) -> TrainingResult:
    return run_account_scorecard("collection", "collection_cases", ["case_id"], "collection_truth",
                                 "true_cure_prob", False, data_dir, config_path)
