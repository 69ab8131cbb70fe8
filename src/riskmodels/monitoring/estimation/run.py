"""Estimate a registered model's performance on a population read from disk.

    run = run_estimate("sme-application-scorecard@champion", Path("new/"))

The model and the data are read as the drift report reads them: the registered spec, and a
portfolio folder (the model's input table, plus ``outcomes.parquet`` with the run's target when
outcomes exist) or one Parquet file. The model must give a probability of its target: the
scorecards' and the challenger's ``pd``, or the fraud model's ``fraud_probability``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from riskmodels import registry
from riskmodels.contract import table as contract_table
from riskmodels.models.specs import scorer_from_spec
from riskmodels.monitoring.drift.data import Sample, load_sample
from riskmodels.monitoring.estimation.cbpe import DEFAULT_DRAWS, DEFAULT_LEVEL
from riskmodels.monitoring.estimation.compare import Comparison, compare

Population = Literal["auto", "booked", "all"]
POPULATIONS: tuple[Population, ...] = ("auto", "booked", "all")
# The column holding the probability of the model's target, in the order they are looked for.
PROBABILITY_COLUMNS = ("pd", "fraud_probability")
BOOKED = "booked"


@dataclass(frozen=True)
class EstimationRun:
    model: registry.RegisteredVersion
    source: str
    target: str | None
    population: str  # which rows were estimated, in words
    n_rows: int  # rows read, before the population was chosen
    comparison: Comparison
    pd: np.ndarray  # the model's probability per estimated row
    outcome: np.ndarray  # 1 bad, 0 good, NaN not yet known
    dates: np.ndarray | None  # the application date per estimated row


def _booked(path: Path, sample: Sample, key: list[str]) -> np.ndarray | None:
    """The booked flag per row, from the file's own column or the folder's outcomes, else None."""
    file = Path(sample.source)
    if file.is_file():
        import pyarrow.parquet as pq

        if BOOKED not in pq.read_schema(file).names:
            return None
        return pd.read_parquet(file, columns=[BOOKED])[BOOKED].fillna(False).to_numpy(dtype=bool)
    outcomes = path / "outcomes.parquet"
    if not outcomes.is_file():
        return None
    table = pd.read_parquet(outcomes)
    if BOOKED not in table.columns or not set(key) <= set(table.columns):
        return None
    joined = sample.rows[key].merge(table[[*key, BOOKED]], on=key, how="left", validate="one_to_one")[BOOKED]
    return joined.fillna(False).to_numpy(dtype=bool)


def _population(choice: Population, booked: np.ndarray | None, n: int) -> tuple[np.ndarray, str]:
    if choice == "all" or (choice == "auto" and booked is None):
        return np.ones(n, dtype=bool), "all rows" + (" (no booked flag found)" if booked is None else "")
    if booked is None:
        raise ValueError("--population booked needs a booked flag: a 'booked' column in the Parquet file "
                         "or in the folder's outcomes.parquet; none was found")
    if not booked.any():
        raise ValueError(f"--population must select at least one row; none of the {n:,} rows is booked")
    return booked, "booked loans"


def probabilities(scored: pd.DataFrame) -> np.ndarray:
    """The probability column a scorer's frame carries; ValueError when it has none."""
    for column in PROBABILITY_COLUMNS:
        if column in scored.columns:
            return scored[column].to_numpy(dtype=float)
    raise ValueError(f"model must give a probability ({' or '.join(PROBABILITY_COLUMNS)}); "
                     f"got columns {list(scored.columns)}")


def run_estimate(model: str, data: Path, *, population: Population = "auto", draws: int = DEFAULT_DRAWS,
                 level: float = DEFAULT_LEVEL, seed: int = 0) -> EstimationRun:
    """Score ``data`` with the registered model (``NAME``, ``NAME@alias`` or ``NAME:VERSION``) and
    compare the CBPE estimate with the realised figures per application month and overall.

    ``population``: ``booked`` keeps the booked loans, the only rows that get a credit outcome;
    ``all`` keeps every row; ``auto`` is ``booked`` when a booked flag exists, else ``all``.
    ``registry.ModelNotFound`` for an unknown model."""
    if population not in POPULATIONS:
        raise ValueError(f"--population must be one of {list(POPULATIONS)}; got {population!r}")
    ref = registry.parse_model_ref(model)
    spec, version = registry.load_spec(ref.name, ref.version_or_alias)
    params = registry.run_params(version.run_id) if version.run_id else {}
    target, date_column = params.get("target"), params.get("date_column")
    sample = load_sample("data", Path(data), spec["input_table"], target, date_column)
    keep, described = _population(population, _booked(Path(data), sample, list(contract_table(spec["input_table"]).key)),
                                  len(sample.rows))
    rows = sample.rows[keep].reset_index(drop=True)
    pd_ = probabilities(scorer_from_spec(spec).score_frame(rows))
    dates = sample.dates[keep].to_numpy() if sample.dates is not None else None
    outcome = sample.outcome[keep]
    comparison = compare(pd_, outcome, dates, draws=draws, level=level, seed=seed)
    return EstimationRun(version, sample.source, target, described, len(sample.rows), comparison, pd_, outcome, dates)


def record_estimate_run(run: EstimationRun, files: Sequence[Path]) -> str:
    """An MLflow run in the monitoring experiment holding the report, the summary and the
    overall figures, tagged with the model version; the status is ``flagged`` when a realised
    figure fell outside its interval, ``inside`` when every judged one fell inside, and
    ``estimated`` when no outcome was there to judge."""
    overall = run.comparison.overall
    judged = any(s.realised is not None for s in [*run.comparison.months, overall])
    status = "flagged" if run.comparison.flagged else "inside" if judged else "estimated"
    metrics = {"estimate.bad_rate": overall.estimate.bad_rate, "estimate.auc": overall.estimate.auc,
               "estimate.bad_rate_low": overall.estimate.bad_rate_interval.low,
               "estimate.bad_rate_high": overall.estimate.bad_rate_interval.high,
               "estimate.auc_low": overall.estimate.auc_interval.low,
               "estimate.auc_high": overall.estimate.auc_interval.high,
               "estimate.flagged_segments": float(len(run.comparison.flagged))}
    if overall.realised is not None:
        metrics["realised.bad_rate"] = overall.realised.bad_rate
        if np.isfinite(overall.realised.auc):
            metrics["realised.auc"] = overall.realised.auc
    return registry.record_monitoring_run(
        "estimate", run.model, status,
        params={"data": run.source, "population": run.population, "rows": run.n_rows,
                "rows.estimated": overall.estimate.n, "level": run.comparison.level,
                "draws": run.comparison.draws, "seed": run.comparison.seed},
        metrics=metrics, files=files)
