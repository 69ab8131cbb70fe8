"""Back-test a registered A card on fresh books from the same process (new seeds, no drift).

    RISKMODELS_HOME=HOME python -m benchmarks.backtest BOOK [BOOK ...] [--model NAME@ALIAS|NAME:VERSION]

Each BOOK is a folder written by ``riskmodels generate --seed S`` (a seed the card never saw).
On its booked loans, the card's PDs (read from the unclipped points, as every path reads them)
are judged as a validator judges them:

* the level: observed default rate against the mean PD;
* Hosmer-Lemeshow over ten PD deciles (external: 10 degrees of freedom) and Jeffreys per risk
  class (the policy's classes; a class fails when its PD is underestimated at 95%);
* **noise-free**, because the simulator knows each applicant's true PD: the ratio of the mean
  true PD to the mean predicted PD in each PD decile. It is the card's own calibration error,
  without the fresh book's sampling noise, so it says whether a failed test is the card's shape
  or the book's luck.

Results land in ``benchmarks/results/backtest.json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import print_table, quiet, write_results


def backtest(book: Path, card: Any) -> dict[str, Any]:
    from riskmodels.evaluation import calibration
    from riskmodels.training.samples import booked_sample

    tables = {name: pd.read_parquet(book / f"{name}.parquet") for name in ("applications", "outcomes", "truth")}
    sample = booked_sample(tables["applications"], tables["outcomes"], tables["truth"], "bad_12m")
    scored = card.score_frame(sample.input_rows)  # the registered spec's own path: PD from the unclipped points
    pd_, classes = scored["pd"].to_numpy(dtype=float), scored["risk_class"].to_numpy()
    hl = calibration.hosmer_lemeshow(sample.event, pd_, external=True)
    jeffreys = calibration.jeffreys_test(sample.event, pd_, classes, card.bands.names, 0.05).table
    deciles = pd.DataFrame({"pd": pd_, "true": sample.oracle_pd}).assign(
        decile=lambda f: pd.qcut(f["pd"], 10, labels=False)).groupby("decile")[["pd", "true"]].mean()
    ratio = (deciles["true"] / deciles["pd"]).round(3).tolist()
    return {"book": str(book), "booked": len(pd_), "observed": round(float(sample.event.mean()), 4),
            "mean_pd": round(float(pd_.mean()), 4), "hl_pvalue": round(hl.p_value, 4),
            "jeffreys_failures": jeffreys.loc[~jeffreys["passed"], "class"].tolist(),
            "true_over_pd_by_decile": ratio,
            "mean_abs_log_ratio": round(float(np.abs(np.log(ratio)).mean()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("books", nargs="+", type=Path)
    parser.add_argument("--model", default="sme-application-scorecard@champion",
                        help="NAME@ALIAS or NAME:VERSION (default: the champion A card)")
    args = parser.parse_args()
    from riskmodels import registry
    from riskmodels.config import get_settings
    from riskmodels.models.specs import scorer_from_spec

    quiet()
    registry.configure(get_settings())
    name, _, version = args.model.replace("@", ":").partition(":")
    spec, registered = registry.load_spec(name, version or registry.CHAMPION)
    card = scorer_from_spec(spec)
    rows = [backtest(book, card) for book in args.books]
    print_table(f"{name} v{registered.version} on {len(rows)} fresh books", ["book", "booked", "observed", "mean PD", "HL p", "Jeffreys fails", "true/PD by decile"],
                [[r["book"], r["booked"], r["observed"], r["mean_pd"], r["hl_pvalue"],
                  ",".join(r["jeffreys_failures"]) or "-", " ".join(f"{x:.2f}" for x in r["true_over_pd_by_decile"])]
                 for r in rows])
    write_results("backtest", {"model": f"{name} v{registered.version}", "books": rows})


if __name__ == "__main__":
    main()
