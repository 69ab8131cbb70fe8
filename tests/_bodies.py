"""Applications of a generated book as API bodies (JSON values: None for missing, dates as ISO
text), for the tests that decide on them one by one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.synth import reference_bodies


def as_bodies(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row of a frame of applications as an API body (the benchmarks send these too)."""
    return [{k: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
             else (v.date().isoformat() if isinstance(v, pd.Timestamp) else v)
             for k, v in record.items()} for record in frame.to_dict(orient="records")]


def book_bodies(portfolio_dir: Path, n: int) -> list[dict[str, Any]]:
    """The first ``n`` applications of the book, plus the three reference customers first."""
    frame = pd.read_parquet(portfolio_dir / "applications.parquet").head(n)
    return [*reference_bodies().values(), *as_bodies(frame)]
