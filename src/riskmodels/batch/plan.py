"""The batch plan and the per-batch step that both engines (embedded and Spark) run.

``plan_batch`` loads the scorer and checks every input schema before anything runs;
``run_record_batch`` takes one Arrow record batch through the contract's per-row checks and the
scorer: (scored rows, rejected rows). There is no second implementation of either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from riskmodels.batch import scorers
from riskmodels.batch.scorers import BatchScorer
from riskmodels.data.rejects import check_schema, find_problems, input_columns
from riskmodels.registry import parse_model_ref

KINDS = ("score", "decision")
_MODEL_FIELDS = [pa.field("model_name", pa.string()), pa.field("model_version", pa.string())]


@dataclass(frozen=True)
class BatchSummary:
    model: str
    version: str
    kind: str
    rows_read: int
    rows_scored: int
    rows_rejected: int
    seconds: float
    output_path: Path
    rejects_path: Path

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else float("nan")


def _keys(batch: pa.RecordBatch, fields: list[pa.Field]) -> dict[str, pa.Array]:
    return {f.name: batch.column(f.name).cast(f.type) for f in fields}


def _arrow_columns(frame: pd.DataFrame, scorer: BatchScorer) -> dict[str, pa.Array]:
    # NaN is null; a key the scorer echoes (decide_frame's application_id) is written once.
    return {name: pa.array(frame[name].to_numpy(), type=t, from_pandas=True)
            for name, t in scorer.output_types.items() if name not in scorer.table.key}


@dataclass(frozen=True)
class BatchPlan:
    """What every engine runs: the scorer, the columns it reads and the two output schemas."""

    scorer: BatchScorer
    kind: str
    key_fields: list[pa.Field]
    wanted: list[str]
    outputs_schema: pa.Schema
    rejects_schema: pa.Schema


def plan_batch(model: str, kind: str | None, schemas: Sequence[tuple[str, pa.Schema]]) -> BatchPlan:
    """Load the model and check every input schema (``(where, schema)``) before anything runs."""
    kind = kind or "score"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}; got {kind!r}")
    ref = parse_model_ref(model)
    scorer = scorers.decision_scorer(ref) if kind == "decision" else scorers.model_scorer(ref)
    # Every part is checked before anything is written: a broken export fails whole, at once.
    for where, schema in schemas:
        check_schema(schema, scorer.table, where)
    key_fields = [schemas[0][1].field(k) for k in scorer.table.key]
    outputs_schema = pa.schema([*key_fields, *(pa.field(n, t) for n, t in scorer.output_types.items()
                                               if n not in scorer.table.key), *_MODEL_FIELDS])
    rejects_schema = pa.schema([*key_fields, pa.field("input_row", pa.int64()), pa.field("fields", pa.string()),
                                pa.field("reason", pa.string())])
    return BatchPlan(scorer, kind, key_fields, [c.name for c in input_columns(scorer.table)],
                     outputs_schema, rejects_schema)


def run_record_batch(plan: BatchPlan, batch: pa.RecordBatch,
                     input_rows: pa.Array) -> tuple[pa.Table | None, pa.Table | None]:
    """One batch through the contract and the model: (scored rows, rejected rows), either None
    when empty. ``input_rows`` is each row's number in the input, for the rejects file. Both
    engines run exactly this."""
    scorer, keys = plan.scorer, plan.key_fields
    problems = find_problems(batch, scorer.table)
    rejected = scored = None
    if problems.count:
        bad = pa.array(np.flatnonzero(problems.rejected))
        rejected = pa.table({**_keys(batch.take(bad), keys), "input_row": input_rows.take(bad),
                             "fields": problems.fields, "reason": problems.reasons})
    good = np.flatnonzero(~problems.rejected)
    if len(good):
        kept = batch if len(good) == batch.num_rows else batch.take(pa.array(good))
        outputs = scorer.score(kept.to_pandas())
        scored = pa.table({**_keys(kept, keys), **_arrow_columns(outputs, scorer),
                           "model_name": pa.repeat(pa.scalar(scorer.name, pa.string()), len(good)),
                           "model_version": pa.repeat(pa.scalar(scorer.version, pa.string()), len(good))})
    return scored, rejected


