"""The batch scoring job on Apache Spark: the same plan and per-batch step as ``riskmodels.batch``.

    summary = score_batch_spark("sme-application-scorecard", "applications/", "scores.parquet",
                                master="local[*]")

Spark reads the Parquet input and hands each task's rows to ``mapInArrow`` as Arrow record
batches; every batch goes through ``batch.run_record_batch`` (the contract's checks, the
features the API builds, the compiled model), shipped to the executors with the model already
loaded by the driver: there is no second implementation of features or scoring. The output is a
folder of Parquet parts (Spark's form) and the rejects a second folder beside it, with the file
and row each rejected row came from. Both are written once, to a hidden staging folder, and
renamed into place only when the job has succeeded: a failed job leaves no output.

Needs ``pip install riskmodels[spark]`` and Java 17 on the driver; on a cluster every executor
needs the same ``riskmodels`` installed in the Python that ``PYSPARK_PYTHON`` names.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from riskmodels.batch import DEFAULT_BATCH_ROWS, BatchPlan, BatchSummary, plan_batch, run_record_batch

log = logging.getLogger(__name__)

DEFAULT_MASTER = "local[*]"
_STATUS = "_riskmodels_status"  # scored or rejected
_FILE, _ROW = "_riskmodels_input_file", "_riskmodels_input_row"


def rejects_dir_for(output: str) -> str:
    base = output.rstrip("/")
    stem = base[: -len(".parquet")] if base.endswith(".parquet") else base
    return f"{stem}.rejects.parquet"


def spark_session(master: str | None = DEFAULT_MASTER, app_name: str = "riskmodels score batch") -> Any:
    """A session on ``master`` (None: whatever spark-submit or spark-defaults configured)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if master is not None and master.startswith("local"):
        # Local workers are Python processes of their own: the one running this, with riskmodels.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        # Nothing but this machine talks to a local session: driver and UI on loopback only
        # (the UI binds to SPARK_LOCAL_IP, else to every interface).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
    if master is not None:
        builder = builder.master(master)
    return (builder.config("spark.ui.showConsoleProgress", "true")
            # pandas writes nanosecond timestamps, which Spark's reader refuses; read them as
            # int64 nanoseconds and turn them back into timestamps in each batch (_as_contract).
            .config("spark.sql.legacy.parquet.nanosAsLong", "true")
            .getOrCreate())


def _as_contract(batch: pa.RecordBatch, date_columns: set[str]) -> pa.RecordBatch:
    """Spark's Arrow types back to the Parquet file's: date columns read as int64 nanoseconds."""
    columns = [pc.cast(col, pa.timestamp("ns")) if name in date_columns and pa.types.is_integer(col.type) else col
               for name, col in zip(batch.schema.names, batch.columns, strict=True)]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _status_schema(plan: BatchPlan) -> pa.Schema:
    """One schema for the rows of both kinds: outputs, then where a reject came from and why."""
    extra = [pa.field("input_file", pa.string()), pa.field("input_row", pa.int64()),
             pa.field("fields", pa.string()), pa.field("reason", pa.string())]
    return pa.schema([*plan.outputs_schema, *extra, pa.field(_STATUS, pa.string())])


def _rows_of(plan: BatchPlan, schema: pa.Schema, date_columns: set[str]) -> Any:
    """The function ``mapInArrow`` runs on the executors (the plan, with its model, inside)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for raw in batches:
            batch = _as_contract(raw, date_columns)
            # A task may read rows of several files: reject positions are the batch's, mapped
            # back below to the file and row each rejected row came from.
            positions = pa.array(range(batch.num_rows), pa.int64())
            scored, rejected = run_record_batch(plan, batch.drop_columns([_FILE, _ROW]), positions)
            for table, status in ((scored, "scored"), (rejected, "rejected")):
                if table is None:
                    continue
                if status == "rejected":
                    at = table["input_row"]
                    table = table.set_column(table.schema.get_field_index("input_row"), "input_row",
                                             pc.take(batch.column(_ROW), at))
                    table = table.append_column("input_file", pc.take(batch.column(_FILE), at))
                table = table.append_column(_STATUS, pa.repeat(pa.scalar(status), table.num_rows))
                full = {name: table[name] if name in table.column_names else pa.nulls(table.num_rows, field.type)
                        for name, field in zip(schema.names, schema, strict=True)}
                yield from pa.table(full, schema=schema).to_batches()

    return run


class _Hadoop:
    """Renames and deletes through Hadoop's FileSystem: local paths, HDFS or object stores alike."""

    def __init__(self, spark: Any, path: str) -> None:
        self._jvm = spark.sparkContext._jvm
        self._fs = self._path(path).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def _path(self, path: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def exists(self, path: str) -> bool:
        return bool(self._fs.exists(self._path(path)))

    def delete(self, path: str) -> None:
        self._fs.delete(self._path(path), True)

    def move(self, source: str, target: str) -> None:
        if self.exists(target):
            self.delete(target)  # the previous run's output, replaced only now the new one is whole
        if not self._fs.rename(self._path(source), self._path(target)):
            raise OSError(f"could not rename {source!r} to {target!r}")


def score_batch_spark(model: str, input_path: str | Path, output_path: str | Path, kind: str | None = None, *,
                      master: str | None = DEFAULT_MASTER, spark: Any = None,
                      batch_size: int = DEFAULT_BATCH_ROWS) -> BatchSummary:
    """``riskmodels.batch.score_batch`` on Spark; see the module doc. ``spark``: a session to use
    (left running); otherwise one is started on ``master`` and stopped at the end."""
    started = time.perf_counter()
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    if Path(input_path).is_dir() and Path(input_path).resolve() in Path(output_path).resolve().parents:
        # The next run would read this output as more input parts.
        raise ValueError(f"output must be outside the input folder; got {str(output_path)!r}")
    session = spark if spark is not None else spark_session(master)
    try:
        session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_size))
        source = session.read.parquet(str(input_path))
        dates = _date_columns()
        arrow_schema = pa.schema([pa.field(f.name, pa.timestamp("ns")) if f.name in dates and
                                  pa.types.is_integer(f.type) else f for f in to_arrow_schema(source.schema)])
        plan = plan_batch(model, kind, [(f"input {str(input_path)!r}", arrow_schema)])
        wanted = [c for c in plan.wanted if c in source.columns]
        rows = source.select(*wanted, F.col("_metadata.file_name").alias(_FILE),
                             F.col("_metadata.row_index").alias(_ROW))
        schema = _status_schema(plan)
        # Kept on local disk between the two writes, so the model runs once per row and memory
        # stays bounded whatever the input's size.
        done = rows.mapInArrow(_rows_of(plan, schema, dates), from_arrow_schema(schema)).persist(
            StorageLevel.DISK_ONLY)
        output, rejects = str(output_path).rstrip("/"), rejects_dir_for(str(output_path))
        staging = f"{output.rsplit('/', 1)[0] if '/' in output else '.'}/.{output.rsplit('/', 1)[-1]}." \
                  f"{uuid.uuid4().hex[:12]}.tmp"
        hadoop = _Hadoop(session, staging)
        try:
            for status, columns in (("scored", plan.outputs_schema.names),
                                    ("rejected", [*plan.rejects_schema.names[:-3], "input_file", "input_row",
                                                  "fields", "reason"])):
                (done.filter(F.col(_STATUS) == status).select(*columns)
                 .write.parquet(f"{staging}/{status}", compression="zstd"))
            counts = {status: session.read.parquet(f"{staging}/{status}").count() for status in ("scored", "rejected")}
            read = source.count()
            if counts["scored"] + counts["rejected"] != read:
                raise RuntimeError(f"rows scored + rejected must equal rows read; got "
                                   f"{counts['scored']} + {counts['rejected']} != {read}")
            hadoop.move(f"{staging}/scored", output)
            hadoop.move(f"{staging}/rejected", rejects)
        finally:
            done.unpersist()
            if hadoop.exists(staging):
                hadoop.delete(staging)
    finally:
        if spark is None:
            session.stop()
    scorer = plan.scorer
    seconds = time.perf_counter() - started
    log.info("spark scored %d of %d rows with %s v%s in %.1f s (%d rejected, see %s)", counts["scored"], read,
             scorer.name, scorer.version, seconds, counts["rejected"], rejects)
    return BatchSummary(scorer.name, scorer.version, plan.kind, read, counts["scored"], counts["rejected"],
                        seconds, Path(output), Path(rejects))


def _date_columns() -> set[str]:
    from riskmodels.contract import TABLES

    return {c.name for t in TABLES.values() for c in t.columns if c.dtype == "date"}
