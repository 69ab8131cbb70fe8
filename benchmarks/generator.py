"""Generator throughput: applications per second of ``generate_portfolio`` at 200k and 1M.

    python -m benchmarks.generator [--repeats 3] [--sizes 200000 1000000]

Each run simulates the whole loan book (applications, outcomes, truth, behaviour snapshots,
collection cases). Baseline in the same run: numpy's own floor, drawing as many standard
normals as the applications table has cells (rows x contract columns), which any simulator of
that table must at least do.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any

import numpy as np

from benchmarks.common import print_table, quiet, summary, timings, write_results

SEED = 22


def bench_size(n: int, repeats: int) -> dict[str, Any]:
    from riskmodels.contract import APPLICATIONS
    from riskmodels.synth import generate_portfolio

    shape = (n, len(APPLICATIONS.columns))
    rows: dict[str, int] = {}

    def generate() -> None:
        portfolio = generate_portfolio(n, SEED)
        rows.update({name: len(frame) for name, frame in portfolio.tables().items()})
        del portfolio
        gc.collect()  # the next run must not start with this one's gigabytes still held

    def floor() -> None:
        np.random.default_rng(SEED).standard_normal(shape)

    # One warm-up at the smaller size only: at 1M it would cost a whole run.
    generator = summary(timings(generate, repeats, warmup=1 if n <= 200_000 else 0), n)
    baseline = summary(timings(floor, repeats), n)
    return {"applications": n, "table_rows": rows, "cells": shape[0] * shape[1],
            "generate_portfolio": generator, "numpy_floor": baseline,
            "x_floor": generator["median_s"] / baseline["median_s"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--full", action="store_true", help="accepted for make bench; the sizes are the same")
    args = parser.parse_args(argv)
    quiet()
    results = {str(n): bench_size(n, args.repeats) for n in args.sizes}
    path = write_results("generator", {"repeats": args.repeats, "sizes": results})
    table = []
    for n, r in results.items():
        table += [[f"{int(n):,}", "numpy floor: standard normals, one per cell (baseline)",
                   r["numpy_floor"]["median_s"], r["numpy_floor"]["rows_per_s"], 1.0],
                  [f"{int(n):,}", "generate_portfolio (all tables)", r["generate_portfolio"]["median_s"],
                   r["generate_portfolio"]["rows_per_s"], r["x_floor"]]]
    print_table(f"Generator throughput (median of {args.repeats})",
                ["applications", "step", "median s", "applications/s", "x baseline"], table, left=2)
    for n, r in results.items():
        print(f"{int(n):,} applications give " + ", ".join(f"{k} {v:,}" for k, v in r["table_rows"].items()))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
