"""Scoring speed: the compiled scorecard against optbinning's own ``Scorecard.score``, one-row
latency, and the end-to-end batch scorer (time and peak memory).

    python -m benchmarks.scoring [--rows 1000000] [--repeats 3] [--full]

An A card is fitted once on generated applications with the pipeline's configuration; its
features are repeated to ``--rows`` rows for the throughput race, after checking that both
scorers give the same points (1e-6). The batch scorer runs in a fresh process per run (so each
peak RSS is its own) on 100k and 1M raw applications registered under a throw-away MLflow store,
beside an I/O floor: the same streaming read and write with no checks, features or scoring,
and the same job on the Spark engine (``local[2]``, one run a size up to 1M rows; its session's
start is timed apart, its peak RSS is the Python driver's only). ``--full`` adds 10M rows on
the embedded engine (one run). The full decision (``decide_frame``: features, fraud model, A
card, policy) is timed per row beside the A card alone on the same rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import (
    a_card_config,
    booked,
    current_rss_mb,
    peak_rss_mb,
    print_table,
    quiet,
    report_child,
    run_child,
    summary,
    timings,
    write_results,
)

APPS, SEED = 50_000, 20
A_CARD = "sme-application-scorecard"
TOLERANCE = 1e-6
SPARK_MAX_ROWS = 1_000_000  # beyond, minutes a run on 2 cores: the embedded engine's 10M run says more


def fit_a_card() -> tuple[Any, Any, pd.DataFrame, pd.DataFrame]:
    """(fitted ScorecardModel, risk bands, features of every application, raw applications)."""
    from riskmodels.features import build_features
    from riskmodels.policy.risk_classes import RiskBands
    from riskmodels.scorecard import ScorecardModel
    from riskmodels.synth import generate_portfolio

    portfolio = generate_portfolio(APPS, SEED)
    sample = booked(portfolio.applications, portfolio.outcomes)
    model = ScorecardModel.from_config(a_card_config().scorecard).fit(sample.features, sample.event)
    bands = RiskBands.default().with_pds(sample.event, model.predict_score(sample.features))
    return model, bands, build_features(portfolio.applications), portfolio.applications


def throughput(model: Any, features: pd.DataFrame, rows: int, repeats: int) -> dict[str, Any]:
    X = features.iloc[np.resize(np.arange(len(features)), rows)].reset_index(drop=True)
    selected = X[model.selected_features_]
    compiled, reference = model.compiled_, model.scorecard_
    diff = float(np.abs(compiled.score_frame(X, clip=False) - reference.score(selected)).max())
    if diff > TOLERANCE:
        raise AssertionError(f"compiled points differ from optbinning's by {diff} (> {TOLERANCE})")
    ours = summary(timings(lambda: compiled.score_frame(X, clip=False), repeats), rows)
    theirs = summary(timings(lambda: reference.score(selected), repeats), rows)
    return {"compiled": ours, "optbinning": theirs, "max_abs_diff": diff,
            "speedup": theirs["median_s"] / ours["median_s"]}


def one_row(model: Any, features: pd.DataFrame, repeats: int) -> dict[str, Any]:
    compiled, reference = model.compiled_, model.scorecard_
    frames = [features.iloc[[i]][model.selected_features_] for i in range(20)]
    rows = [f.iloc[0].to_dict() for f in frames]
    for frame, row in zip(frames, rows):
        if abs(compiled.score_one(row, clip=False) - float(reference.score(frame)[0])) > TOLERANCE:
            raise AssertionError("score_one differs from optbinning's Scorecard.score on a 1-row frame")

    def per_call(fn: Any, calls: int) -> list[float]:
        return [t / calls for t in timings(lambda: [fn(i % len(rows)) for i in range(calls)], repeats)]

    ours = per_call(lambda i: compiled.score_one(rows[i]), 20_000)
    theirs = per_call(lambda i: reference.score(frames[i]), 60)
    return {"score_one_us": statistics.median(ours) * 1e6, "optbinning_us": statistics.median(theirs) * 1e6,
            "runs_score_one_us": [t * 1e6 for t in ours], "runs_optbinning_us": [t * 1e6 for t in theirs],
            "speedup": statistics.median(theirs) / statistics.median(ours)}


def full_decision(rows: int, repeats: int) -> dict[str, Any]:
    """rows/s of ``decide_frame`` (the full decision) and, as the baseline, of the A card alone
    (features + compiled scorecard) on the same applications."""
    from benchmarks.decision import fit_bundle
    from riskmodels.decision import decide_frame
    from riskmodels.features import build_features

    bundle, sample = fit_bundle()
    frame = pd.DataFrame(sample)
    frame = frame.iloc[np.resize(np.arange(len(frame)), rows)].reset_index(drop=True)
    card = bundle.scorecard
    return {"decide_frame": summary(timings(lambda: decide_frame(frame, bundle), repeats), rows),
            "a_card_alone": summary(timings(lambda: card.score_frame(build_features(frame)), repeats), rows)}


def register_champion(model: Any, bands: Any, raw: pd.DataFrame, home: Path) -> None:
    """The fitted card as the champion of a throw-away MLflow store under ``home``."""
    os.environ["RISKMODELS_HOME"] = str(home)
    from riskmodels import registry
    from riskmodels.config import get_settings
    from riskmodels.models.specs import make_spec

    get_settings.cache_clear()
    with registry.training_run("application", "benchmark") as run_id:
        spec = make_spec("scorecard", "applications", model.compiled_.to_spec(), bands)
        uri = registry.log_spec_model(spec, raw.head(5))
        registry.register(uri, A_CARD, run_id, alias=registry.CHAMPION)


def write_input(raw: pd.DataFrame, rows: int, path: Path) -> None:
    """``rows`` applications: the generated ones repeated, each copy with its own ids."""
    table = pa.Table.from_pandas(raw, preserve_index=False)
    ids = raw["application_id"].to_numpy(dtype=str)
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for copy, start in enumerate(range(0, rows, len(raw))):
            part = table.slice(0, min(len(raw), rows - start))
            fresh = pa.array(np.char.add(ids[:part.num_rows], f"-{copy:04d}"),
                             table.schema.field("application_id").type)
            writer.write_table(part.set_column(part.schema.get_field_index("application_id"),
                                               "application_id", fresh))


def batch_runs(raw: pd.DataFrame, sizes: list[int], repeats: dict[int, int], tmp: Path,
               spark: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rows in sizes:
        source = tmp / f"applications_{rows}.parquet"
        write_input(raw, rows, source)
        runs: dict[str, list[dict[str, Any]]] = {"score_batch": [], "io_floor": []}
        for _ in range(repeats[rows]):
            for mode in runs:
                result = run_child(["benchmarks.scoring", "--child", mode, str(source), str(tmp / "out.parquet")],
                                   env={"RISKMODELS_HOME": os.environ["RISKMODELS_HOME"]})
                if result["rows"] != rows:
                    raise AssertionError(f"{mode} read {result['rows']} of {rows} rows")
                runs[mode].append(result)
        if spark and rows <= SPARK_MAX_ROWS:
            runs["spark"] = [run_child(["benchmarks.scoring", "--child", "spark", str(source),
                                        str(tmp / "out_spark.parquet")],
                                       env={"RISKMODELS_HOME": os.environ["RISKMODELS_HOME"]})]
        out[str(rows)] = {mode: {**summary([r["seconds"] for r in rs], rows),
                                 "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
                                 "rss_before_mb": statistics.median(r["rss_before_mb"] for r in rs),
                                 **({"session_start_s": rs[0]["session_start_s"]} if mode == "spark" else {})}
                          for mode, rs in runs.items()}
        source.unlink()
    return out


def child(mode: str, source: str, target: str) -> None:
    """One measured run in this fresh process: the batch scorer or the I/O floor."""
    import mlflow  # noqa: F401  (imported before the baseline RSS: it is not the batch's memory)

    from riskmodels.batch import DEFAULT_BATCH_ROWS, read_batches, score_batch
    from riskmodels.contract import APPLICATIONS
    from riskmodels.data.rejects import input_columns

    before = current_rss_mb()
    extra: dict[str, float] = {}
    if mode == "spark":
        from riskmodels.batch.spark import score_batch_spark, spark_session

        start = time.perf_counter()
        session = spark_session("local[2]", app_name="riskmodels benchmark")
        session.sparkContext.setLogLevel("ERROR")
        extra["session_start_s"] = time.perf_counter() - start
        start = time.perf_counter()
        rows = score_batch_spark(A_CARD, source, target, spark=session).rows_read
        report_child({"seconds": time.perf_counter() - start, "rows": rows, "peak_rss_mb": peak_rss_mb(),
                      "rss_before_mb": before, **extra})
        session.stop()
        return
    start = time.perf_counter()
    if mode == "score_batch":
        done = score_batch(A_CARD, Path(source), Path(target))
        rows = done.rows_read
    else:
        rows = 0
        wanted = [c.name for c in input_columns(APPLICATIONS)]
        with pq.ParquetWriter(target, pa.schema([pa.field("application_id", pa.string())])) as writer:
            for batch in read_batches(Path(source), wanted, DEFAULT_BATCH_ROWS):
                frame = batch.to_pandas()
                writer.write_table(pa.table({"application_id": pa.array(frame["application_id"].to_numpy())}))
                rows += len(frame)
    report_child({"seconds": time.perf_counter() - start, "rows": rows, "peak_rss_mb": peak_rss_mb(),
                  "rss_before_mb": before})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the throughput race")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-rows", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="input sizes of the batch scorer")
    parser.add_argument("--full", action="store_true", help="also the batch scorer on 10M rows")
    parser.add_argument("--no-spark", action="store_true", help="leave the Spark engine out")
    parser.add_argument("--decision-rows", type=int, default=20_000, help="rows of the full-decision run (0: none)")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "INPUT", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    quiet()
    model, bands, features, raw = fit_a_card()
    results: dict[str, Any] = {"fitted_on_applications": APPS, "characteristics": len(model.selected_features_)}
    results["throughput"] = race = throughput(model, features, args.rows, args.repeats)
    results["one_row"] = single = one_row(model, features, args.repeats)
    sizes = args.batch_rows + ([10_000_000] if args.full else [])
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        register_champion(model, bands, raw, Path(tmp) / "home")
        repeats = {rows: 1 if rows >= 10_000_000 else args.repeats for rows in sizes}  # 10M: minutes a run
        results["batch"] = batch = batch_runs(raw, sizes, repeats, Path(tmp), spark=not args.no_spark)
    if args.decision_rows:
        results["full_decision"] = full_decision(args.decision_rows, args.repeats)
    path = write_results("scoring", results)

    print_table(f"Compiled scorecard vs optbinning Scorecard.score, {args.rows:,} rows "
                f"(median of {args.repeats}; max |diff| {race['max_abs_diff']:.1e})",
                ["scorer", "median s", "rows/s", "ratio"],
                [["optbinning Scorecard.score (baseline)", race["optbinning"]["median_s"],
                  race["optbinning"]["rows_per_s"], 1.0],
                 ["CompiledScorecard.score_frame", race["compiled"]["median_s"], race["compiled"]["rows_per_s"],
                  race["speedup"]]])
    print_table("One row (median µs per call)", ["scorer", "µs", "ratio"],
                [["optbinning Scorecard.score, 1-row frame (baseline)", single["optbinning_us"], 1.0],
                 ["CompiledScorecard.score_one", single["score_one_us"], single["speedup"]]])
    labels = {"io_floor": "I/O floor: stream read + write keys (baseline)", "score_batch": "score_batch",
              "spark": "score_batch_spark, local[2] (session start apart)"}
    print_table("End-to-end batch scoring (fresh process per run; RSS in MB, 'before' = after imports)",
                ["rows", "step", "median s", "rows/s", "x baseline", "peak RSS", "RSS before", "runs"],
                [[int(rows), labels[mode], r["median_s"], r["rows_per_s"],
                  r["median_s"] / part["io_floor"]["median_s"], r["peak_rss_mb"], r["rss_before_mb"], len(r["runs"])]
                 for rows, part in batch.items() for mode, r in sorted(part.items())], left=2)
    if "full_decision" in results:
        decision = results["full_decision"]
        base = decision["a_card_alone"]["median_s"]
        print_table(f"Full decision per row, {args.decision_rows:,} applications (median of {args.repeats})",
                    ["step", "median s", "rows/s", "x baseline"],
                    [["A card alone: build_features + score_frame (baseline)", base,
                      decision["a_card_alone"]["rows_per_s"], 1.0],
                     ["decide_frame: features, fraud, A card, policy, reasons", decision["decide_frame"]["median_s"],
                      decision["decide_frame"]["rows_per_s"], decision["decide_frame"]["median_s"] / base]])
    target = "met" if race["speedup"] >= 10 else "NOT met"
    print(f"\ntarget compiled >= 10x optbinning: {target} ({race['speedup']:.1f}x); written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
