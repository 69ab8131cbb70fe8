"""The nightly early-warning batch (``riskmodels monitor portfolio``) over up to a million
active accounts: time and peak memory, beside a same-run baseline.

    python -m benchmarks.monitor [--accounts 100000 1000000] [--repeats 2]

A portfolio is generated once; the three months the rules read (the monitored month and the
two before it) of every account active in its busiest month are repeated, each copy with its
own account ids, to ``--accounts`` accounts and written as ``behavior_snapshots.parquet``. A B
card is fitted on the generated snapshots with the pipeline's configuration and passed as its
compiled spec, as the command passes the champion. Each run is a fresh process (its peak RSS
is its own) doing what ``monitor_portfolio`` does, step by step: read the window, run the rules,
the B score, actions and migration, then write alerts, accounts and the HTML report. The
baseline is the read alone (the I/O floor) on the same file, and the smaller size beside the
larger shows how the batch scales.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    current_rss_mb,
    peak_rss_mb,
    print_table,
    quiet,
    report_child,
    run_child,
    summary,
    write_results,
)

APPS, SEED, FIT_ROWS = 40_000, 23, 60_000
STEPS = ("read", "monitor", "write")


def fit_b_card(snapshots: Any) -> dict[str, Any]:
    """The B card's compiled spec, fitted on (a sample of) the labelled snapshots."""
    from riskmodels.features.behavior import build_behavior_features
    from riskmodels.scorecard import ScorecardModel
    from riskmodels.training import load_config
    from riskmodels.training.scorecard import ScorecardPipelineConfig

    cfg = load_config(ScorecardPipelineConfig, "behavior")
    labelled = snapshots[snapshots[cfg.target].notna()]
    labelled = labelled.sample(min(FIT_ROWS, len(labelled)), random_state=SEED)
    event = (labelled[cfg.target].to_numpy(dtype=int) == cfg.event_value).astype(int)
    model = ScorecardModel.from_config(cfg.scorecard).fit(build_behavior_features(labelled), event)
    spec: dict[str, Any] = model.compiled_.to_spec()
    return spec


def window_of_busiest_month(snapshots: Any, months: int) -> tuple[Any, Any]:
    """(rows of the ``months`` months ending at the month with most accounts, its month end)."""
    import pandas as pd

    busiest = snapshots["snapshot_date"].value_counts().idxmax()
    start = (pd.Timestamp(busiest).to_period("M") - (months - 1)).start_time
    active = snapshots.loc[snapshots["snapshot_date"] == busiest, "account_id"]
    window = snapshots[(snapshots["snapshot_date"] >= start) & (snapshots["snapshot_date"] <= busiest)
                       & snapshots["account_id"].isin(active)]
    return window.reset_index(drop=True), pd.Timestamp(busiest).date()


def write_accounts(window: Any, accounts: int, path: Path) -> int:
    """The window repeated to ``accounts`` active accounts, each copy with its own account ids
    (the last copy cut to the accounts still wanted)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(window, preserve_index=False)
    ids = window["account_id"].to_numpy(dtype=str)
    code = pd.factorize(window["account_id"])[0]  # 0..accounts-1 per copy, in order of appearance
    per_copy = int(code.max()) + 1
    position = table.schema.get_field_index("account_id")
    written = 0
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for copy in range(-(-accounts // per_copy)):
            fresh = pa.array(np.char.add(ids, f"-{copy:04d}"), table.schema.field("account_id").type)
            part = table.set_column(position, "account_id", fresh)
            take = min(per_copy, accounts - written)
            writer.write_table(part if take == per_copy else part.filter(pa.array(code < take)))
            written += take
    return written


def child(data_dir: str, spec_file: str, as_of: str, out_dir: str, mode: str) -> None:
    """One measured run in this fresh process: the whole batch, or the read alone."""
    import datetime as dt

    from riskmodels.monitoring.portfolio import read_snapshots, run_portfolio_monitor, write_monitor_outputs
    from riskmodels.policy.post_loan import load_post_loan_policy
    from riskmodels.scorecard.compiled import CompiledScorecard

    policy = load_post_loan_policy()
    b_card = CompiledScorecard.from_spec(json.loads(Path(spec_file).read_text(encoding="utf-8")))
    day = dt.date.fromisoformat(as_of)
    before = current_rss_mb()
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    snapshots = read_snapshots(Path(data_dir), day, policy.early_warning.window_months)
    seconds["read"] = time.perf_counter() - start
    result: dict[str, Any] = {"rows_read": len(snapshots)}
    if mode == "batch":
        mark = time.perf_counter()
        monitored = run_portfolio_monitor(snapshots, day, b_card, policy=policy)
        seconds["monitor"] = time.perf_counter() - mark
        mark = time.perf_counter()
        write_monitor_outputs(monitored, Path(out_dir))
        seconds["write"] = time.perf_counter() - mark
        result.update(accounts=monitored.n_accounts, alerts=len(monitored.alerts),
                      accounts_alerted=monitored.n_accounts_alerted)
    report_child({**result, "seconds": time.perf_counter() - start, "steps": seconds,
                  "peak_rss_mb": peak_rss_mb(), "rss_before_mb": before})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", nargs=5, metavar=("DATA", "SPEC", "AS_OF", "OUT", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    quiet()
    from riskmodels.policy.post_loan import load_post_loan_policy
    from riskmodels.synth import generate_portfolio

    snapshots = generate_portfolio(APPS, SEED).behavior_snapshots
    months = load_post_loan_policy().early_warning.window_months
    window, as_of = window_of_busiest_month(snapshots, months)
    spec = fit_b_card(snapshots)
    del snapshots
    results: dict[str, Any] = {"generated_applications": APPS, "window_months": months, "as_of": as_of.isoformat(),
                               "accounts_per_copy": int(window["account_id"].nunique()), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
        spec_file = Path(tmp) / "b_card.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        for wanted in args.accounts:
            data = Path(tmp) / f"data_{wanted}"
            data.mkdir()
            accounts = write_accounts(window, wanted, data / "behavior_snapshots.parquet")
            runs: dict[str, list[dict[str, Any]]] = {"batch": [], "read_floor": []}
            for _ in range(args.repeats):
                for mode in runs:
                    runs[mode].append(run_child(["benchmarks.monitor", "--child", str(data), str(spec_file),
                                                 as_of.isoformat(), str(Path(tmp) / "out"), mode]))
            batch = runs["batch"]
            if any(r["accounts"] != accounts for r in batch):
                raise AssertionError(f"the batch monitored {batch[0]['accounts']} of {accounts} accounts")
            results["sizes"][str(accounts)] = {
                mode: {**summary([r["seconds"] for r in rs], accounts),
                       "steps_median_s": {s: statistics.median(r["steps"][s] for r in rs)
                                          for s in STEPS if s in rs[0]["steps"]},
                       "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
                       "rss_before_mb": statistics.median(r["rss_before_mb"] for r in rs),
                       "rows_read": rs[0]["rows_read"],
                       **({"alerts": rs[0]["alerts"], "accounts_alerted": rs[0]["accounts_alerted"]}
                          if mode == "batch" else {})}
                for mode, rs in runs.items()}
            (data / "behavior_snapshots.parquet").unlink()
    path = write_results("monitor", results)

    labels = {"read_floor": "read the window only (baseline)", "batch": "monitor portfolio, end to end"}
    rows = []
    for accounts, part in results["sizes"].items():
        floor = part["read_floor"]["median_s"]
        for mode in ("read_floor", "batch"):
            r = part[mode]
            steps = " / ".join(f"{r['steps_median_s'][s]:.2f}" for s in STEPS if s in r["steps_median_s"])
            rows.append([int(accounts), labels[mode], r["median_s"], r["rows_per_s"], r["median_s"] / floor, steps,
                         r["peak_rss_mb"], r["rss_before_mb"], r.get("alerts", "")])
    print_table(f"Early-warning batch, {months}-month window (fresh process per run, median of {args.repeats}; "
                "RSS in MB, 'before' = after imports)",
                ["accounts", "run", "median s", "accounts/s", "x baseline", "read / monitor / write s",
                 "peak RSS", "RSS before", "alerts"], rows, left=2)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
