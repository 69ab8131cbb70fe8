"""What every training run records for governance, and how its model is registered.

Inside the run: the bank's gates judge the run's metrics (``registry.gates``), the current
champion is scored on the run's own out-of-time rows and compared with the new model
(``evaluation.compare``), the model is logged with a masked input example and registered. A
model that fails a gate is registered without the ``challenger`` alias, tagged ``gates=failed``
with the verdicts; nothing else differs, so the evidence of a failed run can still be read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskmodels import registry
from riskmodels.evaluation.compare import ScoredRows, compare_models
from riskmodels.models.specs import ScorecardScorer, scorer_from_spec
from riskmodels.registry.comparison import (
    COMPARISON_ARTIFACT,
    NO_INCUMBENT,
    NOT_COMPARABLE,
    TOO_FEW_ROWS,
    ComparisonRecord,
)
from riskmodels.registry.gates import GATES_ARTIFACT, VERDICT_ARTIFACT, BankGates, GatesVerdict, judge

log = logging.getLogger(__name__)

FRAUD_VERDICTS = ("pass", "review", "reject")  # best to worst, as the fraud model's classes


def scored_rows(spec: dict[str, Any], rows: pd.DataFrame) -> ScoredRows:
    """A registered model's answer on raw contract rows, through its compiled spec (the code the
    service runs): PD, points and class where the model has them."""
    scorer = scorer_from_spec(spec)
    out = scorer.score_frame(rows)
    if isinstance(scorer, ScorecardScorer):
        return ScoredRows(out["pd"].to_numpy(dtype=float), out["score"].to_numpy(dtype=float),
                          out["risk_class"].to_numpy(), tuple(scorer.bands.names))
    if "fraud_probability" in out.columns:
        return ScoredRows(out["fraud_probability"].to_numpy(dtype=float), out["fraud_score"].to_numpy(dtype=float),
                          out["fraud_verdict"].to_numpy(), FRAUD_VERDICTS)
    return ScoredRows(out["pd"].to_numpy(dtype=float))


def compare_with_champion(name: str, spec: dict[str, Any], oot_rows: pd.DataFrame, event: np.ndarray,
                          bank: BankGates, independent: np.ndarray | None = None) -> ComparisonRecord:
    """The new model against today's champion of ``name``, both scored on ``oot_rows`` (the new
    run's out-of-time rows, with their bad ``event``; Hosmer-Lemeshow counts the ``independent``
    rows, as the run's own evaluation does)."""
    try:
        champion_spec, champion = registry.load_spec(name, registry.CHAMPION)
    except registry.ModelNotFound:
        return ComparisonRecord(status=NO_INCUMBENT)
    rules = bank.rules.comparison
    n, events = len(event), int(np.sum(event))
    if n < rules.min_rows or min(events, n - events) < rules.min_events:
        return ComparisonRecord(status=TOO_FEW_ROWS, champion_version=champion.version, n=n, events=events,
                                note=f"must have {rules.min_rows} rows and {rules.min_events} events of each "
                                     f"outcome; got {n} rows, {events} events")
    try:
        theirs = scored_rows(champion_spec, oot_rows)
    except (KeyError, ValueError, TypeError) as exc:  # a champion whose spec this code cannot read
        return ComparisonRecord(status=NOT_COMPARABLE, champion_version=champion.version, n=n, events=events,
                                note=f"the champion's spec cannot be scored by this code: {exc}")
    relevel = bank.for_model(name).oot_hl_relevelled  # judged as the gate judges it
    result = compare_models(event, scored_rows(spec, oot_rows), theirs, relevel, independent)
    return ComparisonRecord(
        status="compared", champion_version=champion.version, n=result.n, events=result.events,
        challenger_auc=result.auc.auc_a, champion_auc=result.auc.auc_b, auc_diff=result.auc.diff,
        auc_diff_se=result.auc.se, delong_z=result.auc.z, delong_pvalue=result.auc.p_value,
        score_psi=result.score_psi, challenger_hl_pvalue=result.challenger.hl_pvalue,
        champion_hl_pvalue=result.champion.hl_pvalue,
        challenger_jeffreys_failures=result.challenger.jeffreys_failures,
        champion_jeffreys_failures=result.champion.jeffreys_failures)


@dataclass(frozen=True)
class DataRecord:
    """The data a run was trained on, as its description and run name say it."""

    sha256: str
    rows: dict[str, int]  # per split: train, test, oot

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class Registration:
    """A model registered by a training run, with its governance record."""

    version: str
    uri: str
    gates: GatesVerdict
    comparison: ComparisonRecord
    trained_by: str

    @property
    def alias(self) -> str | None:
        return registry.CHALLENGER if self.gates.passed else None


def description(name: str, trainer: str, data: DataRecord, metrics: dict[str, float], verdict: GatesVerdict,
                comparison: ComparisonRecord) -> str:
    """The version's description: who trained it on what, how it did, and how it was judged."""
    rows = ", ".join(f"{k} {v:,}" for k, v in data.rows.items())
    oracle = f" (oracle {metrics['oracle_oot_auc']:.4f})" if "oracle_oot_auc" in metrics else ""
    status = "registered as challenger" if verdict.passed else "NOT given the challenger alias"
    return (f"{name}, trained by {trainer} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from data sha256 "
            f"{data.sha256[:16]} ({rows} rows) with code {registry.git_commit()}. OOT AUC "
            f"{metrics.get('oot_auc', float('nan')):.4f}{oracle}, PSI train-OOT "
            f"{metrics.get('psi_train_oot', float('nan')):.4f}, Hosmer-Lemeshow p "
            f"{metrics.get('oot_hl_pvalue', float('nan')):.3g}. Gates ({verdict.source.label}): "
            f"{verdict.summary()}: {status}. Comparison: {comparison.summary()}.")


def register_with_governance(name: str, spec: dict[str, Any], example_rows: pd.DataFrame, metrics: dict[str, float],
                             oot_rows: pd.DataFrame, oot_event: np.ndarray, data: DataRecord,
                             bank: BankGates, oot_independent: np.ndarray | None = None) -> Registration:
    """Judge, compare, log and register ``spec`` in the active run (see the module's docstring)."""
    verdict = judge(name, metrics, bank)
    comparison = compare_with_champion(name, spec, oot_rows, oot_event, bank, oot_independent)
    run_id = registry.active_run_id()
    registry.log_artifact_text(json.dumps(bank.for_model(name).model_dump(mode="json"), indent=1), GATES_ARTIFACT)
    registry.log_artifact_text(json.dumps(verdict.record(), indent=1), VERDICT_ARTIFACT)
    registry.log_artifact_text(comparison.model_dump_json(indent=1), COMPARISON_ARTIFACT)
    tags = {**verdict.tags(), "comparison": comparison.status, "comparison.summary": comparison.summary(),
            "data.sha256": data.sha256}
    registry.set_tags(tags)
    registry.log_metrics(comparison.metrics())
    trainer = registry.run_record(run_id).tags.get(registry.TRAINED_BY, registry.current_user())
    uri = registry.log_spec_model(spec, example_rows)
    text = description(name, trainer, data, metrics, verdict, comparison)
    version = registry.register(uri, name, run_id, alias=registry.CHALLENGER if verdict.passed else None,
                                tags={registry.TRAINED_BY: trainer, **tags}, description=text)
    if verdict.passed:
        log.info("%s v%s registered as challenger; gates passed; %s", name, version.version, comparison.summary())
    else:
        log.warning("%s v%s registered WITHOUT the challenger alias: gates %s", name, version.version,
                    verdict.summary())
    return Registration(version.version, uri, verdict, comparison, trainer)


def log_datasets(frames: dict[str, pd.DataFrame], name: str, source: Path | str, target: str,
                 fingerprint: Any) -> None:
    """Each split's development rows (features and target, no raw identifier) as the run's
    inputs, with a SHA-256 of their content (``fingerprint``)."""
    for split, frame in frames.items():
        registry.log_dataset(frame, f"{name}-{split}", split, fingerprint(frame), str(source), targets=target)
