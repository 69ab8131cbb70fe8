"""Parquet in and out. Writing is atomic: a failure never leaves half a portfolio behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from riskmodels.synth.portfolio import SCHEMAS, TABLE_NAMES, Portfolio
from riskmodels.synth.schema import pandas_dtype

MANIFEST = "manifest.json"


def _writable_parent(target: Path) -> Path:
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"out_dir must be a folder; got {str(target)!r} (a file)")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).exists():
        # Replacing the folder would delete files that are not ours.
        raise FileExistsError(f"out_dir must be empty or hold a previous portfolio ({MANIFEST}); got {str(target)!r}")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PermissionError(f"out_dir must be a writable folder; got {str(target)!r} ({exc.strerror})") from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"out_dir must be a writable folder; got {str(target)!r} (permission denied)")
    return parent


def _write_table(df: pd.DataFrame, path: Path) -> None:
    # No index, fixed compression: the same frame always gives the same bytes.
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression="zstd")


def write_portfolio(portfolio: Portfolio, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write every table as ``NAME.parquet`` plus ``manifest.json`` into ``out_dir``; return the paths.

    The files are written into a temporary folder beside ``out_dir`` and moved into place at
    the end; a previous portfolio in ``out_dir`` is replaced only once the new one is complete.
    """
    target = Path(out_dir)
    parent = _writable_parent(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        tables = portfolio.tables()
        for name, df in tables.items():
            _write_table(df, staging / f"{name}.parquet")
        manifest = {**portfolio.settings, "rows": {name: len(df) for name, df in tables.items()}}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.chmod(staging, 0o755)  # mkdtemp creates it private
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # the error itself propagates
        raise
    paths = {name: target / f"{name}.parquet" for name in TABLE_NAMES}
    paths["manifest"] = target / MANIFEST
    return paths


def _swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    retired_dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    retired = retired_dir / target.name
    os.replace(target, retired)
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(retired, target)  # put the previous portfolio back
        shutil.rmtree(retired_dir)
        raise
    shutil.rmtree(retired_dir)


def read_portfolio(directory: str | os.PathLike[str]) -> Portfolio:
    """Read a folder written by ``write_portfolio`` (or a bank's own tables in the same layout)."""
    folder = Path(directory)
    missing = [f"{name}.parquet" for name in TABLE_NAMES if not (folder / f"{name}.parquet").exists()]
    if missing:
        raise FileNotFoundError(f"directory must hold the portfolio tables; {str(folder)!r} lacks {missing}")
    tables = {}
    for name in TABLE_NAMES:
        df = pd.read_parquet(folder / f"{name}.parquet")
        tables[name] = df.astype({c.name: pandas_dtype(c) for c in SCHEMAS[name].columns if c.name in df})
    manifest = folder / MANIFEST
    settings = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    settings.pop("rows", None)
    return Portfolio(**tables, settings=settings)
