"""The two samples a drift report compares, read from disk and scored by the registered model.

A sample is a portfolio folder (the model's input table, e.g. ``applications.parquet``, and,
for back-testing, ``outcomes.parquet`` holding the target) or one Parquet file of input rows,
with the target as a column when outcomes are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels.contract import table as contract_table
from riskmodels.models.specs import ScorecardScorer


@dataclass(frozen=True)
class Sample:
    """Raw contract rows with their outcome (1 bad, 0 good, NaN not observed) and dates."""

    name: str
    source: str
    rows: pd.DataFrame
    outcome: np.ndarray
    dates: pd.Series | None
    date_column: str | None = None
    # The contract's account column, where the table holds several rows of one account (``Table.account``).
    account_column: str | None = None

    @property
    def n_outcomes(self) -> int:
        return int(np.isfinite(self.outcome).sum())


@dataclass(frozen=True)
class ScoredSample:
    sample: Sample
    features: pd.DataFrame
    score: np.ndarray
    pd: np.ndarray
    classes: np.ndarray
    points: np.ndarray  # the unclipped sum of the characteristics' points (the score before the scale's clip)


def _outcomes(path: Path, rows: pd.DataFrame, key: list[str], target: str | None) -> np.ndarray:
    if target is None:
        return np.full(len(rows), np.nan)
    if target in rows.columns:
        column = rows[target]
    elif path.is_dir() and (path / "outcomes.parquet").exists():
        outcomes = pd.read_parquet(path / "outcomes.parquet")
        if target not in outcomes.columns or not set(key) <= set(outcomes.columns):
            return np.full(len(rows), np.nan)
        column = rows[key].merge(outcomes[[*key, target]], on=key, how="left", validate="one_to_one")[target]
    else:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def load_sample(name: str, path: Path, input_table: str, target: str | None,
                date_column: str | None) -> Sample:
    """Read one sample; errors name the option (``--baseline``/``--current``) and the rule."""
    path = Path(path)
    file = path / f"{input_table}.parquet" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"--{name} must be a Parquet file or a folder holding {input_table}.parquet; "
                                f"got {str(path)!r}")
    rows = pd.read_parquet(file)
    contract = contract_table(input_table)
    missing = [c for c in contract.names if c not in rows.columns]
    if missing:
        raise ValueError(f"--{name} must hold every column of the {input_table} contract; missing {missing[:10]}")
    if rows.empty:
        raise ValueError(f"--{name} must hold at least one row; got an empty {input_table} table")
    rows = rows.reset_index(drop=True)
    outcome = _outcomes(path, rows, list(contract.key), target)
    bad = np.isfinite(outcome) & ~np.isin(outcome, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"--{name}: target {target!r} must be 0, 1 or missing; got {sorted(set(outcome[bad]))[:5]}")
    dates = pd.to_datetime(rows[date_column]) if date_column and date_column in rows.columns else None
    return Sample(name, str(path), rows[contract.names], outcome, dates, date_column if dates is not None else None,
                  contract.account)


def score_sample(sample: Sample, scorer: ScorecardScorer) -> ScoredSample:
    """Features by the model's own builder (the serving code), then score, PD and class."""
    features = scorer.build(sample.rows)
    points = np.asarray(scorer.scorecard.score_frame(features, clip=False), dtype=float)
    score = np.asarray(scorer.scorecard.scale.clip(points), dtype=float)
    pd_ = np.asarray(scorer.scorecard.pd_from_points(points), dtype=float)  # the PD is of the unclipped points
    return ScoredSample(sample, features, score, pd_, np.asarray(scorer.bands.assign(score), dtype=object), points)


def row_keys(scored: ScoredSample, key: list[str]) -> pd.Series:
    """One string per row from the contract key and the date, to find the same rows in both samples."""
    date = scored.sample.date_column
    columns = [*key, date] if date is not None and date not in key else list(key)
    frame = scored.sample.rows[columns].astype(str)
    return frame.apply("|".join, axis=1) if len(columns) > 1 else frame[columns[0]]
