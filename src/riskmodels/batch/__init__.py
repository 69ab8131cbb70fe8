"""Batch scoring of Parquet books in bounded memory: the plan and per-batch step, the embedded
engine (this process) and the Spark engine, over the same scorers."""

from __future__ import annotations

from riskmodels.batch.embedded import DEFAULT_BATCH_ROWS, read_batches, score_batch
from riskmodels.batch.plan import BatchPlan, BatchSummary, plan_batch, run_record_batch
from riskmodels.batch.scorers import BatchScorer, ModelRef, parse_model_ref

__all__ = ["DEFAULT_BATCH_ROWS", "BatchPlan", "BatchScorer", "BatchSummary", "ModelRef", "parse_model_ref",
           "plan_batch", "read_batches", "run_record_batch", "score_batch"]
