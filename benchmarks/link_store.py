"""The fraud model on the link store's point-in-time counts against the simulator's, and the
oracle (issue 17 §2).

    python -m benchmarks.link_store [--n 40000] [--seed 11]

Generates a book, computes the store's counts for every application in bulk
(``riskmodels.links.frame_counts``: only earlier applications count), trains the fraud model
with the simulator's counts and with the store's in their place, and prints each one's
out-of-time AUC against the oracle's. Results land in ``benchmarks/results/link_store.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.common import print_table, quiet, write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    quiet()
    from riskmodels.data.splits import split_by_month
    from riskmodels.evaluation import metrics
    from riskmodels.features import build_features
    from riskmodels.links import frame_counts
    from riskmodels.models.fraud import FraudModel
    from riskmodels.synth import generate_portfolio
    from riskmodels.training import FraudConfig, load_config
    from riskmodels.training.samples import fraud_sample

    cfg = load_config(FraudConfig, "fraud", None)
    book = generate_portfolio(args.n, args.seed)
    sample = fraud_sample(book.applications, book.outcomes, book.truth, cfg.target)
    split = split_by_month(sample.dates, cfg.split)
    train, oot = (split == "train").to_numpy(), (split == "oot").to_numpy()
    start = time.perf_counter()
    links = frame_counts(sample.input_rows)
    counts_seconds = time.perf_counter() - start
    assert sample.oracle_pd is not None  # a simulated book
    oracle = metrics.auc(sample.event[oot], sample.oracle_pd[oot])
    variants = {"simulator's counts": (), "store's phone_shared_count": ("phone_shared_count",),
                "store's phone count and velocity": ("phone_shared_count", "applications_7d", "applications_30d")}
    rows: list[dict[str, Any]] = []
    for label, replaced in variants.items():
        inputs = sample.input_rows.copy()
        for column in replaced:
            inputs[column] = links[column].astype(float).fillna(0).astype(int).to_numpy()
        features = build_features(inputs)
        model = FraudModel(**cfg.fraud.model_dump()).fit(features[train], sample.event[train])
        auc = metrics.auc(sample.event[oot], model.assess(features[oot]).probability)
        rows.append({"counts": label, "oot_auc": round(auc, 4), "oracle_auc": round(oracle, 4),
                     "ratio": round(auc / oracle, 4)})
    print_table(f"fraud model, {args.n:,} applications, seed {args.seed} (store's counts in {counts_seconds:.2f} s)",
                ["counts", "OOT AUC", "oracle", "ratio"],
                [[r["counts"], r["oot_auc"], r["oracle_auc"], r["ratio"]] for r in rows])
    write_results("link_store", {"n": args.n, "seed": args.seed, "counts_seconds": round(counts_seconds, 2),
                                 "variants": rows})


if __name__ == "__main__":
    main()
