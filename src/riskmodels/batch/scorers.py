"""What scores a batch: the scorer built from the registry for a model reference (the engines,
embedded and Spark, are what run it).

``model_scorer`` loads one registered model's spec; ``decision_scorer`` the champions of every
model with the lending policy. Both engines (embedded and Spark) run what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from riskmodels.contract import BEHAVIOR_SNAPSHOTS, Table
from riskmodels.contract import table as contract_table
from riskmodels.registry.store import ModelRef, parse_model_ref

__all__ = ["OUTPUT_TYPES", "BatchScorer", "ModelRef", "decision_scorer", "decision_types", "model_scorer",
           "parse_model_ref"]

# The columns of each kind of model, typed up front so that even an empty output has them.
# The B card (a scorecard on behavior_snapshots) adds its 12-month PD and master-scale grade,
# as its live answer does (decision.BehaviorResult).
OUTPUT_TYPES = {"scorecard": {"score": pa.float64(), "pd": pa.float64(), "risk_class": pa.string()},
                "behavior_scorecard": {"score": pa.float64(), "pd": pa.float64(), "pd_12m": pa.float64(),
                                       "grade": pa.string(), "risk_class": pa.string()},
                "fraud": {"fraud_probability": pa.float64(), "fraud_score": pa.float64(),
                          "fraud_verdict": pa.string()},
                "application_challenger": {"pd": pa.float64()}}


@dataclass(frozen=True)
class BatchScorer:
    """What scores a batch: the contract table it reads, the model, and its output types."""

    table: Table
    name: str
    version: str
    score: Callable[[pd.DataFrame], pd.DataFrame]
    output_types: dict[str, pa.DataType]


def model_scorer(ref: ModelRef) -> BatchScorer:
    from riskmodels import registry
    from riskmodels.models.specs import scorer_from_spec

    try:
        spec, version = registry.load_spec(ref.name, ref.version_or_alias)
    except registry.ModelNotFound as exc:
        raise registry.ModelNotFound(f"model must be a registered model version; {ref} is not in the registry "
                                     f"({exc.reason})", exc.reason) from exc
    score = scorer_from_spec(spec).score_frame
    if spec["model_type"] == "scorecard" and spec["input_table"] == BEHAVIOR_SNAPSHOTS.name:
        return BatchScorer(contract_table(spec["input_table"]), version.name, version.version,
                           _with_master_scale_grade(score), OUTPUT_TYPES["behavior_scorecard"])
    return BatchScorer(contract_table(spec["input_table"]), version.name, version.version,
                  score, OUTPUT_TYPES[spec["model_type"]])


def _with_master_scale_grade(score: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The B card's batch columns: its scorer's, plus ``pd_12m`` and ``grade`` of its 6-month PD
    on the packaged master scale, by the function the live B answer uses."""
    from riskmodels.decision.accounts import behavior_grades
    from riskmodels.policy.master_scale import default_master_scale

    master_scale = default_master_scale()

    def scored(rows: pd.DataFrame) -> pd.DataFrame:
        out = score(rows)
        pd_12m, grades = behavior_grades(out["pd"].to_numpy(dtype=float), master_scale)
        return out.assign(pd_12m=pd_12m, grade=grades)

    return scored


def decision_scorer(ref: ModelRef) -> BatchScorer:
    from riskmodels.config import CHAMPION, ModelKind

    application = ModelKind.APPLICATION.registered_name
    if ref.name != application or ref.version_or_alias != CHAMPION:
        raise ValueError(f"kind 'decision' runs the champions of every model; model must be {application} "
                         f"or {application}@{CHAMPION}; got {ref}")
    from riskmodels import decision
    from riskmodels.registry.champions import load_champions

    bundle = load_champions()
    versions = ",".join(f"{v.name}:{v.version}" for v in bundle.model_versions)  # the policy's too
    return BatchScorer(contract_table("applications"), "decision", versions,
                  lambda rows: decision.decide_frame(rows, bundle), decision_types(decision.ROW_COLUMNS))


def decision_types(columns: Sequence[str]) -> dict[str, pa.DataType]:
    """Arrow types of ``decide_frame``'s columns, fixed up front: a batch where a column is null
    throughout (no rate when every application is rejected) must not decide the file's schema."""
    def of(name: str) -> pa.DataType:
        if name in ("rules", "reason_codes", "fraud_reason_codes"):
            return pa.list_(pa.string())
        text = name in ("request_id", "application_id", "decision", "fraud_verdict", "risk_class", "grade", "sized_class", "deciding_rule",
                        "requested_product", "recommended_product") or name.endswith("_reason")
        return pa.string() if text else pa.float64()  # a new non-numeric column fails loudly here

    return {name: of(name) for name in columns}
