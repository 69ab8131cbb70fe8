"""Decision latency: ``riskmodels.decide`` on one application, end to end, beside its parts;
and decision throughput: ``decide_frame`` on a frame, beside the per-row loop it replaced.

    python -m benchmarks.decision [--calls 2000] [--repeats 3] [--frame-rows 20000] [--frame-only]

An A card and a fraud model are fitted once on generated applications with the pipelines'
configurations, the fraud model round-tripped through its persisted form, and both loaded
into a ``ModelBundle`` with the default policy, as the service loads them. Before timing, every
sample application's ``decide`` answer is checked against ``decide_frame``'s (the batch path).

Each call answers one of a fixed set of applications (the three reference customers and
generated ones) and times decide() and each of its steps on it, interleaved call by call so
that the load of a shared machine falls on all of them alike. The same-run baselines are the
bare compiled A card (``score_one``), the fraud model's LightGBM prediction alone, and the
steps as they were before ("before" rows: one-row features through 1-element numpy arrays,
TreeSHAP through ``Booster.predict``, the audit record serialised three times); then the fraud
frame path on a one-row dict beside ``assess_one``, and the durable audit commit beside NORMAL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from benchmarks.common import ROOT, a_card_config, booked, print_table, quiet, write_results
from benchmarks.decision_frame import frame_throughput, print_frame, same_answer

APPS, SEED, SAMPLE = 50_000, 20, 100
# A fixed pseudonym key: the benchmark times the HMAC, it protects nothing.
BENCH_KEY = b"benchmark-pseudonym-key-0123456789abcdef"


def fit_bundle() -> tuple[Any, list[dict[str, Any]]]:
    """(ModelBundle as the service loads it, sample applications as dicts of contract columns)."""
    import pandas as pd

    from riskmodels.contract import APPLICATIONS
    from riskmodels.decision import ModelBundle
    from riskmodels.features import build_features
    from riskmodels.models.fraud import FraudModel
    from riskmodels.models.specs import load_model
    from riskmodels.policy import load_policy, with_class_pds
    from riskmodels.policy.risk_classes import RiskBands
    from riskmodels.scorecard import ScorecardModel
    from riskmodels.synth import generate_portfolio
    from riskmodels.training import load_config
    from riskmodels.training.fraud import FraudConfig

    portfolio = generate_portfolio(APPS, SEED)
    sample = booked(portfolio.applications, portfolio.outcomes)
    card = ScorecardModel.from_config(a_card_config().scorecard).fit(sample.features, sample.event)
    bands = RiskBands.default().with_pds(sample.event, card.predict_score(sample.features))
    joined = portfolio.applications.merge(portfolio.outcomes[["application_id", "is_fraud"]], on="application_id")
    fraud_cfg = load_config(FraudConfig, "fraud")
    fraud = FraudModel(**fraud_cfg.fraud.model_dump()).fit(build_features(joined[APPLICATIONS.names]),
                                                           joined["is_fraud"].to_numpy(dtype=int))
    served = load_model(json.loads(json.dumps(fraud.to_dict())))  # the persisted form the service loads
    policy = with_class_pds(load_policy(), {b.name: b.pd for b in bands.bands})
    bundle = ModelBundle(scorecard=card.compiled_, fraud=served, policy=policy,
                         versions={"sme-application-scorecard": 1, "sme-fraud": 1})
    references = [json.loads(path.read_text(encoding="utf-8"))
                  for path in sorted((ROOT / "data" / "reference").glob("*.json"))]
    generated = portfolio.applications[APPLICATIONS.names].sample(SAMPLE - len(references), random_state=SEED)
    rows = pd.concat([generated, pd.DataFrame(references)], ignore_index=True)
    return bundle, rows.to_dict(orient="records")


def check_same_answers(bundle: Any, applications: list[dict[str, Any]]) -> int:
    """decide() must give decide_frame()'s answer on every sample row; returns the rows checked."""
    import pandas as pd

    from riskmodels.decision import ROW_COLUMNS, decide, decide_frame, decision_row

    frame = decide_frame(pd.DataFrame(applications), bundle)
    for i, application in enumerate(applications):
        one, batch = decision_row(decide(application, bundle)), frame.iloc[i].to_dict()
        for key in ROW_COLUMNS[1:]:  # not the request id, fresh per answer
            expected, got = one[key], batch[key]
            if not same_answer(expected, got):
                raise AssertionError(f"decide and decide_frame differ on row {i}, {key}: {expected!r} vs {got!r}")
    return len(applications)


class Prepared(NamedTuple):
    """One application and what each step takes as input, computed before the timing."""

    application: dict[str, Any]
    features: dict[str, Any]
    contributions: list[Any]
    fraud: Any  # FraudRow
    score: float
    body: dict[str, Any]  # the application as the API hands it to the audit log (JSON values)
    decision: Any  # Decision


def features_as_arrays(application: dict[str, Any]) -> dict[str, Any]:
    """``build_features_one`` as it was before the scalar batch: each column a 1-element array."""
    from riskmodels.features.build import _CATEGORICAL, _CATEGORICAL_FEATURES, _NUMERIC_INPUTS, build_feature_arrays

    cols: dict[str, Any] = dict(zip(_NUMERIC_INPUTS, np.array(
        [application.get(name) for name in _NUMERIC_INPUTS], dtype=float)[:, None]))
    for name, value in ((name, application.get(name)) for name in _CATEGORICAL):
        cols[name] = np.array([None if isinstance(value, float) and value != value else value], dtype=object)
    return {name: values[0] if name in _CATEGORICAL_FEATURES else float(values[0])
            for name, values in build_feature_arrays(cols).items()}


def audit_row_before(body: dict[str, Any], decision: Any) -> tuple[Any, ...]:
    """The audit record and row as they were built before: the input serialised three times."""
    from riskmodels.audit import AuditRecord, canonical_json, input_digest, outcome_of
    from riskmodels.contract.privacy import key_id, mask_record

    record = AuditRecord(request_id=decision.request_id, created_at="now", endpoint="application",
                         key_id=key_id(BENCH_KEY), input_hmac=input_digest(body, BENCH_KEY),
                         input_masked=json.loads(canonical_json(mask_record(body))), **outcome_of(decision))
    return tuple(json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, dict | list) else v
                 for v in vars(record).values())


def json_body(application: dict[str, Any]) -> dict[str, Any]:
    """JSON values only (null for NaN, text for a date), as the API's ``model_dump(mode="json")``."""
    return json.loads(json.dumps({k: None if isinstance(v, float) and v != v else v for k, v in application.items()}, default=str))


def steps(bundle: Any) -> dict[str, Callable[[Prepared], object]]:
    """Each step as fn(prepared application): decide() end to end, then its parts alone."""
    from riskmodels.audit import record_for
    from riskmodels.audit.log import _row
    from riskmodels.decision import decide
    from riskmodels.decision.reasons import gbm_reasons, scorecard_reasons
    from riskmodels.features import build_features_one
    from riskmodels.models.lgb_fast import one_row_contributions
    from riskmodels.policy import apply_policy, facts_from

    card, fraud, policy = bundle.scorecard, bundle.fraud, bundle.policy
    top_n = policy.reasons.top_n
    return {
        "decide (end to end)": lambda p: decide(p.application, bundle),
        "build_features_one": lambda p: build_features_one(p.application),
        "build_features_one before (1-element arrays)": lambda p: features_as_arrays(p.application),
        "fraud.assess_one": lambda p: fraud.assess_one(p.features),
        "fraud TreeSHAP via Booster.predict (first version)": lambda p: fraud.booster_.predict(
            fraud._encode(p.features), pred_contrib=True, num_threads=1),
        "fraud TreeSHAP via LightGBM's single-row path (before the tables)": lambda p: one_row_contributions(
            fraud.booster_, fraud._encode(p.features)),
        "fraud TreeSHAP via the tables": lambda p: fraud.contribution_matrix(p.features),
        # The LightGBM call alone, one thread as assess_one runs it (encoding included).
        "fraud LightGBM raw score (baseline)": lambda p: fraud.booster_.predict(
            fraud._encode(p.features), raw_score=True, num_threads=1),
        "A card contributions_one": lambda p: card.contributions_one(p.features),
        "A card score_one (baseline)": lambda p: card.score_one(p.features),
        "policy: facts_from + apply_policy": lambda p: apply_policy(
            facts_from(p.application, p.features), p.score, p.decision.credit.pd, p.fraud.score,
            p.fraud.verdict, policy),
        "reasons: A card + fraud": lambda p: (
            scorecard_reasons(p.contributions, p.features, top_n),
            gbm_reasons(p.fraud.contributions, fraud.features_, p.features, "fraud", top_n)),
        "audit: record_for + row (after decide)": lambda p: _row(
            record_for(p.decision.request_id, "application", p.body, p.decision, key=BENCH_KEY)),
        "audit: record + row before (3 serialisations)": lambda p: audit_row_before(p.body, p.decision),
    }


def latencies(bundle: Any, applications: list[dict[str, Any]], calls: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds of each step on each of ``calls`` calls, steps interleaved call by call.

    CPU time (the process's, every thread counted) leaves out the time the process waits for a
    core, so on a shared machine it is the steadier figure; wall time is what a caller waits.
    """
    from riskmodels.decision import decide
    from riskmodels.features import build_features_one

    prepared = []
    for application in applications:
        features = build_features_one(application)
        prepared.append(Prepared(application, features, bundle.scorecard.contributions_one(features),
                                 bundle.fraud.assess_one(features), bundle.scorecard.score_one(features),
                                 json_body(application), decide(application, bundle)))
    timed = steps(bundle)
    out: dict[str, dict[str, list[float]]] = {"wall": {name: [] for name in timed}, "cpu": {name: [] for name in timed}}
    wall, cpu = time.perf_counter, time.process_time
    for call in range(-len(prepared), calls):  # the first pass over the sample is warm-up
        p = prepared[call % len(prepared)]
        for name, fn in timed.items():
            start, start_cpu = wall(), cpu()
            fn(p)
            if call >= 0:
                out["cpu"][name].append(cpu() - start_cpu)
                out["wall"][name].append(wall() - start)
    return out


def before_change(bundle: Any, applications: list[dict[str, Any]], calls: int) -> dict[str, Any]:
    """The fraud step as decide() ran it before ``assess_one`` (the frame path on a one-row
    dict, with the model's own ``num_threads``: the pipeline trains with 2) against
    ``assess_one``, alternating call by call so that both meet the same machine."""
    from riskmodels.features import build_features_one

    features = [build_features_one(a) for a in applications]
    steps = {"before": bundle.fraud.assess, "assess_one": bundle.fraud.assess_one}
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    for call in range(-len(features), calls):
        for name, fn in steps.items():
            start = time.perf_counter()
            fn(features[call % len(features)])
            if call >= 0:
                seconds[name].append(time.perf_counter() - start)
    return {"calls": calls, "num_threads": bundle.fraud.num_threads,
            **{name: {"median_us": statistics.median(s) * 1e6, "p95_us": float(np.percentile(s, 95)) * 1e6}
               for name, s in seconds.items()}}


def audit_commits(bundle: Any, applications: list[dict[str, Any]], calls: int) -> dict[str, Any]:
    """``AuditLog.append`` of one decision, durable (WAL, ``synchronous=FULL``) against the ``NORMAL``
    it replaced (fsync deferred to checkpoints), alternating, each log in a fresh database."""
    import tempfile
    import uuid
    from pathlib import Path

    from riskmodels.audit import AuditLog, record_for
    from riskmodels.decision import decide

    bodies, decisions = [json_body(a) for a in applications], [decide(a, bundle) for a in applications]
    seconds: dict[str, list[float]] = {"FULL (durable)": [], "NORMAL (before)": []}
    with tempfile.TemporaryDirectory() as tmp:
        logs = {name: AuditLog(Path(tmp) / f"{i}.sqlite", key=BENCH_KEY) for i, name in enumerate(seconds)}
        logs["NORMAL (before)"]._conn.execute("PRAGMA synchronous=NORMAL")
        try:
            for call in range(-10, calls):
                i = call % len(bodies)
                for name, log in logs.items():
                    record = record_for(uuid.uuid4().hex, "application", bodies[i], decisions[i], key=BENCH_KEY)
                    start = time.perf_counter()
                    log.append([record])
                    if call >= 0:
                        seconds[name].append(time.perf_counter() - start)
        finally:
            for log in logs.values():
                log.close()
    return {"calls": calls, **{name: {"median_us": statistics.median(s) * 1e6,
                                      "p95_us": float(np.percentile(s, 95)) * 1e6} for name, s in seconds.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round")
    parser.add_argument("--repeats", type=int, default=3, help="rounds")
    parser.add_argument("--frame-rows", type=int, default=20_000, help="applications per decide_frame (0: skip)")
    parser.add_argument("--frame-only", action="store_true", help="only the decide_frame throughput")
    args = parser.parse_args(argv)
    quiet()
    bundle, applications = fit_bundle()
    if args.frame_rows:
        frame = frame_throughput(bundle, args.frame_rows, args.repeats)
        print_frame(frame, write_results("decision_frame", frame))
    if args.frame_only:
        return 0
    checked = check_same_answers(bundle, applications)
    rounds = [latencies(bundle, applications, args.calls) for _ in range(args.repeats)]
    before = before_change(bundle, applications, max(args.calls // 4, 100))
    commits = audit_commits(bundle, applications, max(args.calls // 10, 100))
    names = list(rounds[0]["wall"])
    pooled = {name: [t for r in rounds for t in r["wall"][name]] for name in names}
    pooled_cpu = {name: [t for r in rounds for t in r["cpu"][name]] for name in names}
    decide_median = statistics.median(pooled["decide (end to end)"])
    decide_cpu = statistics.median(pooled_cpu["decide (end to end)"])
    results: dict[str, Any] = {
        "fitted_on_applications": APPS, "sample_applications": len(applications), "checked_against_frame": checked,
        "calls_per_round": args.calls, "rounds": args.repeats, "fraud_trees": bundle.fraud.n_trees_,
        "fraud_features": len(bundle.fraud.features_), "a_card_characteristics": len(bundle.scorecard.features),
        "steps": {name: {"median_us": statistics.median(pooled[name]) * 1e6,
                         "p95_us": float(np.percentile(pooled[name], 95)) * 1e6,
                         "cpu_median_us": statistics.median(pooled_cpu[name]) * 1e6,
                         "round_medians_us": [statistics.median(r["wall"][name]) * 1e6 for r in rounds],
                         "share_of_decide": statistics.median(pooled[name]) / decide_median}
                  for name in names},
    }
    results["before_assess_one"] = before
    results["audit_commit"] = commits
    path = write_results("decision", results)
    print_table(f"decide() on one application, µs per call ({args.repeats} rounds of {args.calls:,} calls, "
                f"{len(applications)} applications; fraud model {bundle.fraud.n_trees_} trees)",
                ["step", "median µs", "p95 µs", "CPU median µs", "x decide", "round medians"],
                [[name, r["median_us"], r["p95_us"], r["cpu_median_us"], r["share_of_decide"],
                  " ".join(f"{m:.0f}" for m in r["round_medians_us"])] for name, r in results["steps"].items()])
    print(f"\nThe fraud step before assess_one (fraud.assess on a one-row dict, the model's num_threads="
          f"{bundle.fraud.num_threads}): median {before['before']['median_us']:.0f} µs, p95 "
          f"{before['before']['p95_us']:.0f} µs; assess_one beside it: median {before['assess_one']['median_us']:.0f} "
          f"µs, p95 {before['assess_one']['p95_us']:.0f} µs ({before['calls']} calls each, alternating, after the "
          f"rounds: idle OpenMP threads would slow the steps timed after them)")
    durable, normal = commits["FULL (durable)"], commits["NORMAL (before)"]
    print(f"\nAudit commit of one decision ({commits['calls']} each, alternating): durable (WAL, synchronous=FULL) "
          f"median {durable['median_us']:.0f} µs, p95 {durable['p95_us']:.0f} µs; NORMAL (before: not durable "
          f"across a power cut) median {normal['median_us']:.0f} µs, p95 {normal['p95_us']:.0f} µs")
    verdict = "met" if decide_median <= 300e-6 else "NOT met"
    print(f"\ndecide() median {decide_median * 1e6:.0f} µs wall, {decide_cpu * 1e6:.0f} µs CPU; "
          f"target <= 300 µs (wall): {verdict}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"same answers as decide_frame on {checked} applications; written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
