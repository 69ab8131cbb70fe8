"""The embedded engine: batch scoring of Parquet files in this process, in bounded memory.

    summary = score_batch("sme-application-scorecard@champion", Path("applications/"), Path("scores.parquet"))

The input (one file or a folder of parts) is read one record batch at a time and the output is
written one row group per batch, so memory depends on the batch size, never on the input's.
Features are built by the model's own scorer: the code the API runs. Rows that break the data
contract go to ``OUTPUT.rejects.parquet`` beside the output, with the rule each one broke, so
rows read = rows scored + rows rejected. Both files are written under temporary names and
renamed only when the whole input is done: a failed run leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from riskmodels.batch.plan import BatchSummary, plan_batch, run_record_batch

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 50_000  # applications: peak RSS ~0.5 GB above the imports (benchmarks/scoring.py)
# Read buffered instead of pre-buffering whole column chunks: a part written as one huge row
# group must not be loaded at once.
_READ_BUFFER = 1 << 20


def parquet_files(input_path: Path) -> list[Path]:
    """The file itself, or every ``*.parquet`` under the folder in name order (hidden and
    ``_``-prefixed files, such as ``_SUCCESS`` or a writer's temporary file, left out)."""
    path = Path(input_path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"input must be a Parquet file or a folder of parts; got {str(path)!r}")
    files = sorted(p for p in path.rglob("*.parquet")
                   if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
    if not files:
        raise FileNotFoundError(f"input folder must hold *.parquet parts; none in {str(path)!r}")
    return files


def read_batches(input_path: Path, columns: Sequence[str] | None = None,
                 batch_size: int = DEFAULT_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``batch_size`` rows, part after part, in file order.

    Only ``columns`` present in a part are read (all when None). One batch is held at a time.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    for path in parquet_files(input_path):
        with pq.ParquetFile(path, pre_buffer=False, buffer_size=_READ_BUFFER) as part:
            names = part.schema_arrow.names
            wanted = names if columns is None else [c for c in columns if c in names]
            yield from part.iter_batches(batch_size=batch_size, columns=wanted)


def rejects_path_for(output_path: Path) -> Path:
    return output_path.with_name(f"{output_path.stem}.rejects.parquet")


class _StagedParquet:
    """A Parquet file written under a hidden temporary name and renamed on ``commit``."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
        self._writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.cast(self._writer.schema))

    def commit(self) -> None:
        self._writer.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self._writer.close()
        self.tmp.unlink(missing_ok=True)


def _check_paths(files: list[Path], input_path: Path, output_path: Path) -> None:
    out = output_path.resolve()
    if out.is_dir():
        raise IsADirectoryError(f"output must be a file path; got a folder {str(output_path)!r}")
    if out in {f.resolve() for f in files}:
        raise ValueError(f"output must not be the input; got {str(output_path)!r}")
    if Path(input_path).is_dir() and Path(input_path).resolve() in out.parents:
        # The next run would read this output as one more input part.
        raise ValueError(f"output must be outside the input folder; got {str(output_path)!r}")


def score_batch(model: str, input_path: Path, output_path: Path, kind: str | None = None,
                progress: Callable[[int], None] | None = None, *,
                batch_size: int = DEFAULT_BATCH_ROWS) -> BatchSummary:
    """Score a Parquet file or folder of parts with a registered model; see the module doc.

    ``kind``: ``"score"`` (default) writes the model's outputs; ``"decision"`` the full decision
    of every application with the champions. ``progress`` is called after each batch with the
    number of rows it read (an increment, as ``tqdm.update`` expects).
    """
    started = time.perf_counter()
    output_path = Path(output_path)
    files = parquet_files(Path(input_path))
    _check_paths(files, Path(input_path), output_path)
    plan = plan_batch(model, kind, [(f"input {str(f)!r}", pq.read_schema(f)) for f in files])

    output_path.parent.mkdir(parents=True, exist_ok=True)
    rejects_path = rejects_path_for(output_path)
    staged: list[_StagedParquet] = []
    read = n_scored = n_rejected = 0
    try:
        scored_file = _StagedParquet(output_path, plan.outputs_schema)
        staged.append(scored_file)
        rejected_file = _StagedParquet(rejects_path, plan.rejects_schema)
        staged.append(rejected_file)
        for batch in read_batches(Path(input_path), plan.wanted, batch_size):
            rows = pa.array(np.arange(read, read + batch.num_rows, dtype=np.int64))
            scored, rejected = run_record_batch(plan, batch, rows)
            if rejected is not None:
                rejected_file.write(rejected)
                n_rejected += rejected.num_rows
            if scored is not None:
                scored_file.write(scored)
                n_scored += scored.num_rows
            read += batch.num_rows
            if progress is not None:
                progress(batch.num_rows)
        for file in staged:
            file.commit()
    except BaseException:
        for file in staged:
            file.discard()  # the error itself propagates
        raise
    seconds = time.perf_counter() - started
    scorer = plan.scorer
    summary = BatchSummary(scorer.name, scorer.version, plan.kind, read, n_scored, n_rejected, seconds,
                           output_path, rejects_path)
    log.info("scored %d of %d rows with %s v%s in %.1f s (%d rejected, see %s)", n_scored, read,
             scorer.name, scorer.version, seconds, n_rejected, rejects_path)
    return summary
