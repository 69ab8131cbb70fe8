"""Training time of the A, B and C cards and the fraud model at 50k and 200k applications (1M with --full).

    python -m benchmarks.training [--repeats 3] [--full]

One portfolio of the largest size is generated once; each size takes its first N applications.
Both models train with the pipelines' own steps and configuration: ``fit_scorecard`` (split by
month, fit on the training months, score every row, class PDs) and ``FraudModel`` on the
training months. The behavioural (B) and collection (C) cards fit the same way on the month-end
snapshots and collection cases of those N applications' accounts (``account_sample``, as
``riskmodels.training.samples`` builds them; account_id is the application_id). Baselines, in the
same run on the same training rows: optbinning's ``BinningProcess`` alone (each card's binning,
without selection, logistic fit or points), and plain LightGBM growing as many trees as the
fitted fraud model kept (no monotone constraints, early stopping or calibration). Building the
features (and the B/C samples) is timed apart.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from benchmarks.common import a_card_config, booked, print_table, quiet, summary, timings, write_results

SEED = 21
# The post-loan cards: result name, pipeline kind, contract table and its keys (pipelines/behavior.py, collection.py).
ACCOUNT_CARDS = (("b_card", "behavior", "behavior_snapshots", ["account_id", "snapshot_date"]),
                 ("c_card", "collection", "collection_cases", ["case_id"]))


def bench_account_card(portfolio: Any, n: int, name: str, kind: str, table: str, keys: list[str],
                       repeats: int) -> tuple[dict[str, list[float]], dict[str, int], int]:
    """Timings of one post-loan card on the rows of the first ``n`` applications' accounts."""
    from riskmodels.data.splits import split_by_month
    from riskmodels.scorecard import binning
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
        f"{name}_binning_only": timings(lambda: binning.fit_binning_process(
            X_train, y_train, cfg.scorecard, cfg.scorecard.features), repeats, warmup=0),
    }
    counts = {f"{name}_sample": len(rows), name: int(train.sum()), f"{name}_binning_only": int(train.sum())}
    return runs, counts, len(sample.features)


def bench_size(portfolio: Any, n: int, repeats: int) -> dict[str, Any]:
    import lightgbm as lgb

    from riskmodels.data.splits import split_by_month
    from riskmodels.features import build_features
    from riskmodels.models.fraud import FraudModel
    from riskmodels.scorecard import binning
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
        "a_card_binning_only": timings(lambda: binning.fit_binning_process(
            X_train, y_train, a_cfg.scorecard, a_cfg.scorecard.features), repeats, warmup=0),
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
    args = parser.parse_args(argv)
    quiet()
    from riskmodels.synth import generate_portfolio

    sizes = args.sizes + ([1_000_000] if args.full else [])
    portfolio = generate_portfolio(max(sizes), SEED)
    results = {str(n): bench_size(portfolio, n, args.repeats) for n in sizes}
    path = write_results("training", {"repeats": args.repeats, "sizes": results})

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
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
