"""Training time of the A, B and C cards and the fraud model at 50k and 200k applications (1M with --full).

    python -m benchmarks.training [--repeats 3] [--full]
    python -m benchmarks.training --book DIR [--models b_card fraud]   # peak memory only


One portfolio of the largest size is generated once; each size takes its first N applications.
Both models train with the pipelines' own steps and configuration: ``fit_scorecard`` (split by
month, fit on the training months, score every row, class PDs) and ``FraudModel`` on the
training months. The behavioural (B) and collection (C) cards fit the same way on the month-end
snapshots and collection cases of those N applications' accounts (``account_sample``, as
``riskmodels.training.samples`` builds them; account_id is the application_id). Baselines, in the
same run on the same training rows: optbinning's own ``BinningProcess`` alone (each card's binning
with the card's options, without selection, logistic fit or points; ``stock_binning``), and plain LightGBM growing as many trees as the
fitted fraud model kept (no monotone constraints, early stopping or calibration). Building the
features (and the B/C samples) is timed apart.

Memory (issue 19 §3): each size's book is written to Parquet and every model is trained on it by
the pipeline itself (``riskmodels.training.dispatch.train``: quality gate, sample, fit,
calibration, evaluation, MLflow run and registration into a throw-away store), each in a fresh
process whose peak RSS (VmHWM) is recorded; ``--no-memory`` skips it. Linearity: seconds per
1,000 training rows of each fit at each size, and that figure at the largest size over 200k's.

``--book DIR`` measures only the pipelines' peak RSS on a portfolio already written (``riskmodels
generate --n-applications 1000000``), without holding a generated million-application book in
this process meanwhile (8 GB); its figures are merged into ``training_memory.json`` by size.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.common import (
    RESULTS_DIR,
    a_card_config,
    booked,
    peak_rss_mb,
    print_table,
    quiet,
    report_child,
    run_child,
    summary,
    timings,
    write_results,
)

if TYPE_CHECKING:
    import pandas as pd

    from riskmodels.scorecard.config import ScorecardConfig

SEED = 21
# The post-loan cards: result name, pipeline kind, contract table and its keys (pipelines/behavior.py, collection.py).
ACCOUNT_CARDS = (("b_card", "behavior", "behavior_snapshots", ["account_id", "snapshot_date"]),
                 ("c_card", "collection", "collection_cases", ["case_id"]))
# Result name -> the pipeline kind trained in a fresh process for its peak RSS.
PIPELINES = {"a_card": "application", "b_card": "behavior", "c_card": "collection", "fraud": "fraud"}
PEAK_LIMIT_MB = 6 * 1024  # issue 19: training at 1M applications within 6 GB
LINEAR_FROM = 200_000  # the per-row time at the largest size is compared with this size's


def book_of(portfolio: Any, n: int) -> Any:
    """The first ``n`` applications and every row of theirs (accounts, cases, truth)."""
    from dataclasses import replace

    ids = portfolio.applications["application_id"].iloc[:n]
    cases = portfolio.collection_cases[portfolio.collection_cases["account_id"].isin(ids)]

    def rows(frame: Any) -> Any:
        # Every table carries the application (account_id is the application_id) but the cure truth.
        keys = [k for k in ("application_id", "account_id") if k in frame.columns]
        kept = frame[frame[keys[0]].isin(ids)] if keys else frame[frame["case_id"].isin(cases["case_id"])]
        return kept.reset_index(drop=True)

    return replace(portfolio, **{name: rows(frame) for name, frame in portfolio.tables().items()},
                   settings={**portfolio.settings, "n_applications": n})


def train_child(kind: str, data: str) -> None:
    """In a fresh process: train ``kind`` as ``riskmodels train`` does; report seconds and peak RSS."""
    quiet()
    from riskmodels.training.dispatch import train

    start = time.perf_counter()
    train(kind, Path(data))
    report_child({"kind": kind, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()})


def pipeline_memory(portfolio: Any, sizes: list[int], workdir: Path) -> dict[str, dict[str, Any]]:
    """Per size and model: the pipeline's peak RSS and wall seconds, each in a fresh process."""
    from riskmodels.synth.io import write_portfolio

    out: dict[str, dict[str, Any]] = {}
    for n in sizes:
        data = workdir / f"book_{n}"
        write_portfolio(book_of(portfolio, n), data)
        out[str(n)] = {}
        for name, kind in PIPELINES.items():
            home = workdir / f"home_{n}_{kind}"
            result = run_child(["benchmarks.training", "--child-train", kind, "--data", str(data)],
                               env={"RISKMODELS_HOME": str(home), "RISKMODELS_TRACKING_URI": ""})
            out[str(n)][name] = {"peak_rss_mb": result["peak_rss_mb"], "seconds": result["seconds"]}
            print(f"  {n:>9,} {name}: peak {result['peak_rss_mb']:,.0f} MB, {result['seconds']:.1f} s", flush=True)
    return out


def book_memory(book: Path, models: list[str]) -> Path:
    """The pipelines' peak RSS on a written portfolio, merged into ``training_memory.json``."""
    manifest = json.loads((book / "manifest.json").read_text(encoding="utf-8"))
    size = str(manifest["n_applications"])
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        for name in models:
            home = Path(tmp) / f"home_{name}"
            result = run_child(["benchmarks.training", "--child-train", PIPELINES[name], "--data", str(book)],
                               env={"RISKMODELS_HOME": str(home), "RISKMODELS_TRACKING_URI": ""})
            measured[name] = {
                "peak_rss_mb": result["peak_rss_mb"], "seconds": result["seconds"],
                "book": {"seed": manifest["seed"], "rows": manifest["rows"]}}
            print(f"  {int(size):>9,} {name}: peak {result['peak_rss_mb']:,.0f} MB (limit {PEAK_LIMIT_MB:,}), "
                  f"{result['seconds']:.1f} s", flush=True)
    path = RESULTS_DIR / "training_memory.json"  # read now: another size or model may have landed meanwhile
    sizes: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["sizes"] if path.exists() else {}
    sizes.setdefault(size, {}).update(measured)
    return write_results("training_memory", {"peak_limit_mb": PEAK_LIMIT_MB, "sizes": sizes})


def linearity(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per fit: seconds per 1,000 training rows at each size, and the largest size's over 200k's."""
    out: dict[str, dict[str, Any]] = {}
    sizes = sorted(results, key=int)
    for name in PIPELINES:
        per_1k = {n: 1000 * results[n][name]["median_s"] / results[n][name]["rows"] for n in sizes}
        largest = sizes[-1]
        ratio = (per_1k[largest] / per_1k[str(LINEAR_FROM)]
                 if str(LINEAR_FROM) in per_1k and int(largest) > LINEAR_FROM else None)
        out[name] = {"s_per_1k_rows": per_1k, "largest": int(largest), "largest_to_200k_per_row": ratio}
    return out


def print_memory_and_linearity(memory: dict[str, dict[str, Any]], linear: dict[str, dict[str, Any]]) -> None:
    if memory:
        print_table("Pipeline peak RSS (riskmodels train, fresh process each; MB)",
                    ["applications", *PIPELINES, "limit"],
                    [[f"{int(n):,}", *(models[name]["peak_rss_mb"] for name in PIPELINES), float(PEAK_LIMIT_MB)]
                     for n, models in memory.items()])
    sizes = next(iter(linear.values()))["s_per_1k_rows"] if linear else {}
    print_table("Linearity: seconds per 1,000 training rows of each fit",
                ["fit", *(f"{int(n):,}" for n in sizes), f"largest / {LINEAR_FROM:,} per row"],
                [[name, *figures["s_per_1k_rows"].values(), figures["largest_to_200k_per_row"] or ""]
                 for name, figures in linear.items()])


def bench_account_card(portfolio: Any, n: int, name: str, kind: str, table: str, keys: list[str],
                       repeats: int) -> tuple[dict[str, list[float]], dict[str, int], int]:
    """Timings of one post-loan card on the rows of the first ``n`` applications' accounts."""
    from riskmodels.data.splits import split_by_month
    from riskmodels.training import load_config
    from riskmodels.training.samples import account_sample
    from riskmodels.training.scorecard import ScorecardPipelineConfig, fit_scorecard

    cfg = load_config(ScorecardPipelineConfig, kind)
    ids = portfolio.applications["application_id"].iloc[:n]
    all_rows = getattr(portfolio, table)
    rows = all_rows[all_rows["account_id"].isin(ids)].reset_index(drop=True)

    def build() -> Any:
        return account_sample(rows, None, cfg, table, keys, "", True)  # no truth: it does not enter the fit

    sample = build()
    train = (split_by_month(sample.dates, cfg.split) == "train").to_numpy()
    X_train, y_train = sample.features[train], sample.event[train]
    runs = {
        f"{name}_sample": timings(build, repeats, warmup=0),
        name: timings(lambda: fit_scorecard(sample, cfg.scorecard, cfg.split), repeats, warmup=0),
        f"{name}_binning_only": timings(lambda: stock_binning(X_train, y_train, cfg.scorecard), repeats, warmup=0),
    }
    counts = {f"{name}_sample": len(rows), name: int(train.sum()), f"{name}_binning_only": int(train.sum())}
    return runs, counts, len(sample.features)



def stock_binning(X: pd.DataFrame, y: np.ndarray, cfg: ScorecardConfig) -> None:
    """The baseline: optbinning's own ``BinningProcess`` with the card's options (ours defers the
    per-variable statistics, ``binning.DeferredStatisticsBinningProcess``, and would flatter it)."""
    from optbinning import BinningProcess

    from riskmodels.scorecard import binning

    options = binning.make_binning_process(cfg, cfg.features).get_params(deep=False)
    with binning.optbinning_pandas_deprecations():
        BinningProcess(**options).fit(binning.as_binning_input(X, cfg.features, cfg), y)


def bench_size(portfolio: Any, n: int, repeats: int) -> dict[str, Any]:
    import lightgbm as lgb

    from riskmodels.data.splits import split_by_month
    from riskmodels.features import build_features
    from riskmodels.models.fraud import FraudModel
    from riskmodels.training import load_config
    from riskmodels.training.fraud import FraudConfig
    from riskmodels.training.scorecard import fit_scorecard

    apps, outs = portfolio.applications.iloc[:n], portfolio.outcomes.iloc[:n]
    a_cfg, f_cfg = a_card_config(), load_config(FraudConfig, "fraud")
    sample = booked(apps, outs)
    a_train = (split_by_month(sample.dates, a_cfg.split) == "train").to_numpy()
    features = build_features(apps)
    fraud_y = outs["is_fraud"].to_numpy(dtype=int)
    f_train = (split_by_month(apps["application_date"], f_cfg.split) == "train").to_numpy()

    fraud = FraudModel(**f_cfg.fraud.model_dump())
    # The same encoded matrix the fraud model trains on (categories as level codes).
    matrix = fraud.fit(features[f_train], fraud_y[f_train])._encode(features[f_train])
    plain = {**fraud._lightgbm_params(), "monotone_constraints": None}
    plain.pop("monotone_constraints_method")

    def plain_lightgbm() -> None:
        lgb.train(plain, lgb.Dataset(matrix, fraud_y[f_train], params=plain), num_boost_round=fraud.n_trees_)

    X_train, y_train = sample.features[a_train], sample.event[a_train]
    runs = {
        "features": timings(lambda: build_features(apps), repeats),
        "a_card": timings(lambda: fit_scorecard(sample, a_cfg.scorecard, a_cfg.split), repeats, warmup=0),
        "a_card_binning_only": timings(lambda: stock_binning(X_train, y_train, a_cfg.scorecard), repeats, warmup=0),
        "fraud": timings(lambda: FraudModel(**f_cfg.fraud.model_dump()).fit(features[f_train], fraud_y[f_train]),
                         repeats, warmup=0),
        "fraud_plain_lightgbm": timings(plain_lightgbm, repeats, warmup=0),
    }
    rows = {"features": n, "a_card": int(a_train.sum()), "a_card_binning_only": int(a_train.sum()),
            "fraud": int(f_train.sum()), "fraud_plain_lightgbm": int(f_train.sum())}
    labelled = {}
    for name, kind, table, keys in ACCOUNT_CARDS:
        card_runs, card_rows, labelled[name] = bench_account_card(portfolio, n, name, kind, table, keys, repeats)
        runs.update(card_runs)
        rows.update(card_rows)
    return {"applications": n, "booked_with_outcome": len(sample.features), "fraud_trees": fraud.n_trees_,
            "fraud_rate": float(np.mean(fraud_y)), "b_card_labelled_snapshots": labelled["b_card"],
            "c_card_labelled_cases": labelled["c_card"],
            **{name: summary(seconds, rows[name]) for name, seconds in runs.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--full", action="store_true", help="also 1M applications")
    parser.add_argument("--no-memory", action="store_true", help="skip the pipelines' peak RSS")
    parser.add_argument("--book", type=Path, help="a written portfolio: its pipelines' peak RSS only")
    parser.add_argument("--models", nargs="+", choices=list(PIPELINES), default=list(PIPELINES))
    parser.add_argument("--child-train", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_train:
        train_child(args.child_train, args.data)
        return 0
    if args.book:
        print(f"written to {book_memory(args.book, args.models)}")
        return 0
    quiet()
    from riskmodels.synth import generate_portfolio

    sizes = args.sizes + ([1_000_000] if args.full else [])
    portfolio = generate_portfolio(max(sizes), SEED)
    memory: dict[str, dict[str, Any]] = {}
    if not args.no_memory:
        with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
            memory = pipeline_memory(portfolio, sizes, Path(tmp))
    results = {str(n): bench_size(portfolio, n, args.repeats) for n in sizes}
    for n, models in memory.items():
        for name, figures in models.items():
            results[n][name]["pipeline_peak_rss_mb"] = figures["peak_rss_mb"]
            results[n][name]["pipeline_seconds"] = figures["seconds"]
    linear = linearity(results)
    path = write_results("training", {"repeats": args.repeats, "peak_limit_mb": PEAK_LIMIT_MB,
                                      "sizes": results, "linearity": linear})

    table = []
    for n, r in results.items():
        table += [[f"{int(n):,}", "features (build_features, all rows)", r["features"]["rows"],
                   r["features"]["median_s"], "", ""],
                  [f"{int(n):,}", "A card: optbinning BinningProcess only (baseline)",
                   r["a_card_binning_only"]["rows"], r["a_card_binning_only"]["median_s"], 1.0, ""],
                  [f"{int(n):,}", "A card: fit_scorecard (pipeline step)", r["a_card"]["rows"],
                   r["a_card"]["median_s"], r["a_card"]["median_s"] / r["a_card_binning_only"]["median_s"], ""],
                  [f"{int(n):,}", "fraud: plain LightGBM, same trees (baseline)",
                   r["fraud_plain_lightgbm"]["rows"], r["fraud_plain_lightgbm"]["median_s"], 1.0, r["fraud_trees"]],
                  [f"{int(n):,}", "fraud: FraudModel.fit (monotone, early stop, Platt)", r["fraud"]["rows"],
                   r["fraud"]["median_s"], r["fraud"]["median_s"] / r["fraud_plain_lightgbm"]["median_s"],
                   r["fraud_trees"]]]
        for name, label, unit in (("b_card", "B card", "snapshots"), ("c_card", "C card", "cases")):
            table += [[f"{int(n):,}", f"{label}: account_sample (all {unit}, features)", r[f"{name}_sample"]["rows"],
                       r[f"{name}_sample"]["median_s"], "", ""],
                      [f"{int(n):,}", f"{label}: optbinning BinningProcess only (baseline)",
                       r[f"{name}_binning_only"]["rows"], r[f"{name}_binning_only"]["median_s"], 1.0, ""],
                      [f"{int(n):,}", f"{label}: fit_scorecard (pipeline step)", r[name]["rows"],
                       r[name]["median_s"], r[name]["median_s"] / r[f"{name}_binning_only"]["median_s"], ""]]
    print_table(f"Training time (median of {args.repeats}; rows = training rows)",
                ["applications", "step", "rows", "median s", "x baseline", "trees"], table, left=2)
    print_memory_and_linearity(memory, linear)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
