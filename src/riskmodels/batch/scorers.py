"""What scores a batch: a model reference, and the engine built from the registry for it.

``score_engine`` loads one registered model's spec; ``decision_engine`` the champions of every
model with the lending policy. Both engines (embedded and Spark) run what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from riskmodels.contract import table as contract_table
from riskmodels.contract import Table

# The columns of each kind of model, typed up front so that even an empty output has them.
OUTPUT_TYPES = {"scorecard": {"score": pa.float64(), "pd": pa.float64(), "risk_class": pa.string()},
                "fraud": {"fraud_probability": pa.float64(), "fraud_score": pa.float64(),
                          "fraud_verdict": pa.string()},
                "application_challenger": {"pd": pa.float64()}}


@dataclass(frozen=True)
class ModelRef:
    name: str
    version_or_alias: str

    def __str__(self) -> str:
        sep = ":" if self.version_or_alias.isdigit() else "@"
        return f"{self.name}{sep}{self.version_or_alias}"


def parse_model_ref(ref: str, default_alias: str = "champion") -> ModelRef:
    """``NAME`` (the champion), ``NAME@alias`` or ``NAME:VERSION``."""
    name, alias_sep, alias = ref.partition("@")
    if not alias_sep:
        name, version_sep, version = ref.partition(":")
        if version_sep and not version.isdigit():
            raise ValueError(f"model must be NAME, NAME@alias or NAME:VERSION (a number); got {ref!r}")
        alias = version if version_sep else default_alias
    if not name.strip() or not alias.strip():
        raise ValueError(f"model must be NAME, NAME@alias or NAME:VERSION; got {ref!r}")
    return ModelRef(name.strip(), alias.strip())


@dataclass(frozen=True)
class Engine:
    """What scores a batch: the contract table it reads, the model, and its output types."""

    table: Table
    name: str
    version: str
    score: Callable[[pd.DataFrame], pd.DataFrame]
    output_types: dict[str, pa.DataType]


def score_engine(ref: ModelRef) -> Engine:
    from mlflow.exceptions import MlflowException

    from riskmodels import registry
    from riskmodels.models.specs import scorer_from_spec

    registry.configure()
    try:
        spec, version = registry.load_spec(ref.name, ref.version_or_alias)
    except MlflowException as exc:
        raise LookupError(f"model must be a registered model version; {ref} is not in the registry "
                          f"({exc.error_code})") from exc
    return Engine(contract_table(spec["input_table"]), version.name, version.version,
                  scorer_from_spec(spec).score_frame, OUTPUT_TYPES[spec["model_type"]])


def decision_engine(ref: ModelRef) -> Engine:
    from riskmodels.config import REGISTERED_MODELS
    from riskmodels.registry.store import CHAMPION

    application = REGISTERED_MODELS["application"]
    if ref.name != application or ref.version_or_alias != CHAMPION:
        raise ValueError(f"kind 'decision' runs the champions of every model; model must be {application} "
                         f"or {application}@{CHAMPION}; got {ref}")
    from riskmodels import decision
    from riskmodels.registry.champions import load_champions

    bundle = load_champions()
    versions = ",".join(f"{v.name}:{v.version}" for v in bundle.model_versions)  # the policy's too
    return Engine(contract_table("applications"), "decision", versions,
                  lambda rows: decision.decide_frame(rows, bundle), decision_types(decision.ROW_COLUMNS))


def decision_types(columns: Sequence[str]) -> dict[str, pa.DataType]:
    """Arrow types of ``decide_frame``'s columns, fixed up front: a batch where a column is null
    throughout (no rate when every application is rejected) must not decide the file's schema."""
    def of(name: str) -> pa.DataType:
        if name in ("rules", "reason_codes", "fraud_reason_codes"):
            return pa.list_(pa.string())
        text = name in ("request_id", "application_id", "decision", "fraud_verdict", "risk_class",
                        "requested_product", "recommended_product") or name.endswith("_reason")
        return pa.string() if text else pa.float64()  # a new non-numeric column fails loudly here

    return {name: of(name) for name in columns}
