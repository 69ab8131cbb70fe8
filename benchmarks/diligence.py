"""The second score after due diligence: a fitted logit against a documented points adjustment,
both judged against the simulator's true PD.

    RISKMODELS_HOME=HOME python -m benchmarks.diligence FIT_BOOK TEST_BOOK
        [--model NAME@ALIAS|NAME:VERSION] [--write-settings src/riskmodels/policy/diligence.yaml]

Each BOOK is a folder written by ``riskmodels generate --seed S``; the account manager's
findings are simulated for it (``riskmodels.synth.diligence``, a random stream of their own).
The population is the one due diligence is for: applications the policy sends to a person
(``review``) or offers the pre-approved limit with the excess to a visit (``offer``), decided by
the registered A card and fraud model with the default policy. The logit and the industry
norms are fitted on FIT_BOOK; every figure is measured on TEST_BOOK, against
``bad_12m_if_booked`` (the outcome every applicant would have had as a loan):

* AUC of the A card alone, of the points adjustment, of the logit, and of the oracle (the true PD);
* calibration: mean PD against the observed and the true bad rate, Brier score, and the mean
  |log(true PD / PD)| over PD deciles (noise-free: the book's luck taken out).

``--write-settings`` writes the settings with the better method (the higher AUC; the logit's
calibration is its own fit) and the fit's provenance. Results land in
``benchmarks/results/diligence.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import print_table, quiet, write_results

# The documented adjustment (an expert's points, not fitted): per band of each activity ratio
# (log of the finding over the declared monthly revenue, less the industry's norm: -0.5 is 40%
# under the norm), per step of the owner's assessment, and for a site not verified.
POINTS_ADJUSTMENT: dict[str, Any] = {
    "activity_bands": [{"below": -0.5, "points": -6.0}, {"below": -0.2, "points": -3.0},
                       {"below": 0.2, "points": 0.0}, {"below": None, "points": 2.0}],
    "owner_points_per_step": 2.0, "site_not_verified": -15.0}


def _population(book: Path, bundle: Any) -> pd.DataFrame:
    """The book's review and offer applications with their A-card PD, findings and truth."""
    from riskmodels.decision import decide_frame
    from riskmodels.synth import read_portfolio
    from riskmodels.synth.diligence import simulate_findings

    portfolio = read_portfolio(book)
    findings = simulate_findings(portfolio).set_index("application_id")
    apps = portfolio.applications
    decided = decide_frame(apps, bundle)
    keep = decided["decision"].isin(["review", "offer"]).to_numpy()
    rows = apps.loc[keep, ["application_id", "industry", "declared_annual_revenue"]].reset_index(drop=True)
    rows["pd"] = decided.loc[keep, "pd"].to_numpy(float)
    rows["decision"] = decided.loc[keep, "decision"].to_numpy()
    rows["grey"] = [("BAND_MIDDLE" in rules) for rules in decided.loc[keep, "rules"]]
    truth = portfolio.truth.set_index("application_id").loc[rows["application_id"]]
    rows["true_pd"] = truth["true_pd"].to_numpy(float)
    rows["bad"] = truth["bad_12m_if_booked"].to_numpy(int)
    found = findings.loc[rows["application_id"]].reset_index(drop=True)
    return pd.concat([rows, found.drop(columns=["visit_date", "account_manager_id"])], axis=1)


def _inputs(frame: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("site_verified", "electricity_bill_monthly", "water_bill_monthly", "wechat_alipay_monthly",
                 "delivery_platform_monthly", "peak_footfall_per_hour", "owner_assessment"):
        out[name] = frame[name].astype("float64").to_numpy()
    return out


def _judge(name: str, bad: np.ndarray, pd_: np.ndarray, true_pd: np.ndarray) -> dict[str, Any]:
    from riskmodels.evaluation.metrics import auc

    deciles = pd.DataFrame({"pd": pd_, "true": true_pd}).assign(
        decile=lambda f: pd.qcut(f["pd"].rank(method="first"), 10, labels=False)).groupby("decile").mean()
    return {"score": name, "auc": round(auc(bad, pd_), 4), "mean_pd": round(float(pd_.mean()), 4),
            "observed": round(float(bad.mean()), 4), "mean_true_pd": round(float(true_pd.mean()), 4),
            "brier": round(float(np.mean((pd_ - bad) ** 2)), 5),
            "decile_log_ratio": round(float(np.abs(np.log(deciles["true"] / deciles["pd"])).mean()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("fit_book", type=Path)
    parser.add_argument("test_book", type=Path)
    parser.add_argument("--model", default="sme-application-scorecard@champion",
                        help="The A card: NAME@ALIAS or NAME:VERSION (default: the champion)")
    parser.add_argument("--write-settings", type=Path, default=None,
                        help="Write the settings with the better method here (e.g. src/riskmodels/policy/diligence.yaml)")
    args = parser.parse_args()
    import yaml

    from riskmodels import registry
    from riskmodels.config import get_settings
    from riskmodels.decision.diligence import finding_features, raw_ratios, second_points
    from riskmodels.policy.diligence import DiligenceSettings, Provenance
    from riskmodels.registry.champions import load_champions
    from riskmodels.synth import read_portfolio
    from riskmodels.training.diligence import fit_logit, fit_norms

    quiet()
    settings = get_settings()
    registry.configure(settings)
    bundle = load_champions(settings)
    scale = bundle.scorecard.scale
    card = f"sme-application-scorecard v{bundle.versions.get('sme-application-scorecard', '?')}"

    fit, test = _population(args.fit_book, bundle), _population(args.test_book, bundle)
    norms = fit_norms(raw_ratios(_inputs(fit), fit["declared_annual_revenue"].to_numpy(float)),
                      fit["industry"].to_numpy(object))
    draft = {"method": "logit", "norms": {k: v.model_dump() for k, v in norms.items()},
             "logit": {"intercept": 0.0, "a_card": 1.0, "coefficients": {}}, "points": POINTS_ADJUSTMENT,
             "provenance": {"command": "", "data": "", "population": "", "model": card, "fitted_at": ""}}
    features = finding_features(_inputs(fit), fit["declared_annual_revenue"].to_numpy(float),
                                fit["industry"].to_numpy(object), DiligenceSettings.model_validate(draft))
    log_odds = np.log(fit["pd"] / (1 - fit["pd"])).to_numpy(float)
    logit = fit_logit(log_odds, features, fit["bad"].to_numpy(int))
    candidate = DiligenceSettings.model_validate({**draft, "logit": logit.model_dump()})

    test_features = finding_features(_inputs(test), test["declared_annual_revenue"].to_numpy(float),
                                     test["industry"].to_numpy(object), candidate)
    first_points = scale.to_points(test["pd"].to_numpy(float))
    bad, true_pd = test["bad"].to_numpy(int), test["true_pd"].to_numpy(float)
    scores = {"A card alone": test["pd"].to_numpy(float)}
    for method in ("points", "logit"):
        points, _ = second_points(first_points, test_features, scale, candidate, method)  # type: ignore[arg-type]
        scores[f"{method}"] = scale.to_pd(points)
    scores["oracle (true PD)"] = true_pd
    results = {"everyone": [_judge(k, bad, v, true_pd) for k, v in scores.items()]}
    grey = test["grey"].to_numpy(bool)
    results["grey zone"] = [_judge(k, bad[grey], v[grey], true_pd[grey]) for k, v in scores.items()]
    for population, rows in results.items():
        n = int(grey.sum()) if population == "grey zone" else len(test)
        print_table(f"second score on {args.test_book} ({population}: {n:,} applications, "
                    f"fitted on {args.fit_book}, {card})",
                    ["score", "AUC", "AUC/oracle", "mean PD", "observed", "mean true PD", "Brier",
                     "|log true/PD| deciles"],
                    [[r["score"], r["auc"], round(r["auc"] / rows[-1]["auc"], 4), r["mean_pd"], r["observed"],
                      r["mean_true_pd"], r["brier"], r["decile_log_ratio"]] for r in rows])
    by_name = {r["score"]: r for r in results["everyone"]}
    better = "logit" if by_name["logit"]["auc"] >= by_name["points"]["auc"] else "points"
    print(f"better: {better} (AUC {by_name[better]['auc']} against {by_name['points' if better == 'logit' else 'logit']['auc']})")
    meta = {"fit_book": str(args.fit_book), "test_book": str(args.test_book), "model": card,
            "fit_rows": len(fit), "test_rows": len(test), "better": better, "logit": logit.model_dump()}
    write_results("diligence", {**meta, **{k.replace(" ", "_"): v for k, v in results.items()}})
    if args.write_settings is not None:
        def described(book: Path) -> str:
            s = read_portfolio(book).settings
            return f"generator {s.get('generator_version')}, seed {s.get('seed')}, {s.get('n_applications'):,} applications"

        provenance = Provenance(
            command=f"python -m benchmarks.diligence {args.fit_book.name} {args.test_book.name} --model {args.model}",
            data=f"fit: {described(args.fit_book)}; test: {described(args.test_book)}",
            population="review and offer decisions of the default policy (the grey zone, the amount above the "
                       "pre-approved limit, other review rules); outcome bad_12m_if_booked",
            model=card, fitted_at=dt.date.today().isoformat(),
            metrics={f"{k.replace(' ', '_').replace('(', '').replace(')', '')}_auc": r["auc"]
                     for k, r in by_name.items()})
        final = candidate.model_copy(update={"method": better, "provenance": provenance})
        header = ("# The second score after offline due diligence (seed 000 §五, 二次评分): written by\n"
                  "# benchmarks/diligence.py (see provenance); riskmodels.policy.diligence says what each key is.\n")
        args.write_settings.write_text(header + yaml.safe_dump(final.model_dump(mode="json"), sort_keys=False,
                                                               allow_unicode=True), encoding="utf-8")
        print(f"settings written to {args.write_settings}")


if __name__ == "__main__":
    main()
