"""Handing Arrow's freed read buffers back (issue 19 §3) leaves every table read intact: the pool
keeps no memory a frame still uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from riskmodels.training.samples import release_read_buffers


def test_tables_read_stay_intact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 50_000
    frame = pd.DataFrame({"account_id": [f"A{i:07d}" for i in range(n)], "balance": rng.normal(size=n),
                          "dpd": rng.integers(0, 90, n), "industry": rng.choice(["retail", "catering"], n),
                          "flag": rng.random(n) < 0.1})
    frame.to_parquet(tmp_path / "t.parquet")
    read = pd.read_parquet(tmp_path / "t.parquet")
    in_use = pa.total_allocated_bytes()
    release_read_buffers()
    assert pa.total_allocated_bytes() == in_use  # only free memory goes back
    pd.testing.assert_frame_equal(read, pd.read_parquet(tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(read, frame, check_dtype=False)
