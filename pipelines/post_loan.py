"""The behavioural (B) and collection (C) scorecards share one shape: a contract table of
accounts, a target with its orientation, and the simulator's truth when there is one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from riskmodels.config import get_settings
from riskmodels.models.specs import feature_builder
from riskmodels.training.scorecard import ScorecardPipelineConfig, ScorecardSample, train_and_register
from riskmodels.training import TrainingResult, data_fingerprint, load_config, read_optional, read_tables, require_clean


def account_sample(rows: pd.DataFrame, truth: pd.DataFrame | None, cfg: ScorecardPipelineConfig, table: str,
                   keys: list[str], truth_column: str, truth_is_event: bool) -> ScorecardSample:
    labelled = rows[rows[cfg.target].notna()].reset_index(drop=True)
    oracle = None
    if truth is not None:
        p = labelled[keys].merge(truth[[*keys, truth_column]], on=keys, how="left")[truth_column].to_numpy()
        oracle = p if truth_is_event else 1.0 - p
    return ScorecardSample(features=feature_builder(table)(labelled),
                           event=(labelled[cfg.target].to_numpy(dtype=int) == cfg.event_value).astype(int),
                           dates=labelled[cfg.date_column], input_rows=labelled, oracle_pd=oracle)


def run_account_scorecard(kind: str, table: str, keys: list[str], truth_table: str, truth_column: str,
                          truth_is_event: bool, data_dir: Path, config_path: Path | None) -> TrainingResult:
    cfg = load_config(ScorecardPipelineConfig, kind, config_path)
    tables = read_tables(data_dir, (table,))
    quality_reports = require_clean(tables, get_settings().home / "reports" / "quality")
    sample = account_sample(tables[table], read_optional(data_dir, truth_table), cfg, table, keys,
                            truth_column, truth_is_event)
    return train_and_register(kind, cfg, sample, table, quality_reports, data_fingerprint(tables[table]))
