"""Training time of the A card and the fraud model at 50k and 200k applications (1M with --full).

    python -m benchmarks.training [--repeats 3] [--full]

One portfolio of the largest size is generated once; each size takes its first N applications.
Both models train with the pipelines' own steps and configuration: ``fit_scorecard`` (split by
month, fit on the training months, score every row, class PDs) and ``FraudModel`` on the
training months. Baselines, in the same run on the same training rows: optbinning's
``BinningProcess`` alone (the A card's binning, without selection, logistic fit or points), and
plain LightGBM growing as many trees as the fitted fraud model kept (no monotone constraints,
early stopping or calibration). Building the features is timed apart.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from benchmarks.common import a_card_config, booked, print_table, quiet, summary, timings, write_results

SEED = 21


def bench_size(applications: Any, outcomes: Any, n: int, repeats: int) -> dict[str, Any]:
    import lightgbm as lgb

    from pipelines.fraud import FraudConfig
    from riskmodels.features import build_features
    from riskmodels.fraud import FraudModel
    from riskmodels.scorecard import binning
    from riskmodels.scorecard_training import fit_scorecard
    from riskmodels.splits import split_by_month
    from riskmodels.training import load_config

    apps, outs = applications.iloc[:n], outcomes.iloc[:n]
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
    return {"applications": n, "booked_with_outcome": len(sample.features), "fraud_trees": fraud.n_trees_,
            "fraud_rate": float(np.mean(fraud_y)),
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
    results = {str(n): bench_size(portfolio.applications, portfolio.outcomes, n, args.repeats) for n in sizes}
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
    print_table(f"Training time (median of {args.repeats}; rows = training rows)",
                ["applications", "step", "rows", "median s", "x baseline", "trees"], table, left=2)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
