"""Decision throughput: ``decide_frame`` on a frame, beside the same with LightGBM's
``pred_contrib`` for the fraud SHAP (before the TreeSHAP tables), the per-row loop it replaced
and ``decide()`` row by row. Run through ``python -m benchmarks.decision [--frame-only]``,
which fits the bundle."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import print_table

SEED = 21  # the frame's applications: not the ones the bundle was fitted on


def decide_frame_before(applications: Any, bundle: Any) -> Any:
    """``decide_frame`` as it was before the arrays (issue 19): features and both models once over
    the frame, then per row the policy and reasons through ``decide``'s own objects."""
    import uuid

    import pandas as pd

    from riskmodels.decision.application import ROW_COLUMNS, _answer, decision_row
    from riskmodels.features import build_features
    from riskmodels.policy.facts import RAW_FIELDS
    from riskmodels.scorecard.compiled import Contribution

    features = build_features(applications)
    assessed = bundle.fraud.assess(features)
    points = bundle.scorecard.characteristic_points(features)
    means, bests = bundle.scorecard.mean_points, bundle.scorecard.max_points
    characteristics = [(name, means[name], bests[name]) for name in bundle.scorecard.features]
    raw = applications.reindex(columns=[*RAW_FIELDS, "application_id"]).to_dict(orient="records")
    rows = []
    for i, (application, feature_row, point_row) in enumerate(zip(
            raw, features.to_dict(orient="records"), points.itertuples(index=False, name=None))):
        contributions = [Contribution(name, p, p - mean, best - p)
                         for (name, mean, best), p in zip(characteristics, point_row)]
        fraud = (float(assessed.score[i]), float(assessed.probability[i]), str(assessed.verdict[i]),
                 assessed.contributions[i, :-1].tolist())
        rows.append(decision_row(_answer(application, feature_row, contributions, fraud, bundle, uuid.uuid4().hex)))
    return pd.DataFrame(rows, index=applications.index, columns=ROW_COLUMNS)


def _without_tables(bundle: Any) -> Any:
    """The bundle with a fraud model whose TreeSHAP comes from LightGBM's ``pred_contrib``, as
    ``decide_frame`` ran before the tables (the model's cache of its tables set to "none")."""
    import copy
    import dataclasses

    fraud = copy.copy(bundle.fraud)
    fraud._tables = (fraud.booster_, None)
    return dataclasses.replace(bundle, fraud=fraud)


def same_answer(a: Any, b: Any) -> bool:
    """Equal, both missing, or floats within 1e-12 relative (the tables and ``pred_contrib``
    add the same SHAP terms in different orders, so the fraud score may differ in its last bits)."""
    if isinstance(a, float) and isinstance(b, float) and a == a and b == b:
        return abs(a - b) <= 1e-12 * max(abs(a), 1.0)
    return bool(a == b or (a != a and b != b) or (a is None and b != b) or (b is None and a != a))


def _differing_column(new: Any, old: Any, columns: Any) -> str | None:
    for key in columns:
        same = [same_answer(a, b) for a, b in zip(new[key].tolist(), old[key].tolist())]
        if not all(same):
            return f"{key}: row {same.index(False)}"
    return None


def frame_throughput(bundle: Any, n_rows: int, repeats: int, one_row_sample: int = 2000) -> dict[str, Any]:
    """rows/s of ``decide_frame``, of the same with LightGBM's ``pred_contrib`` for the fraud
    SHAP (before the tables), of the per-row loop it replaced and of ``decide()`` on each row,
    on one core, interleaved repeat by repeat so the load of a shared machine falls on all
    alike; wall and CPU seconds. Beside them, the fraud SHAP alone each way. The frames are
    checked equal first (every answer column)."""
    from riskmodels.contract import APPLICATIONS
    from riskmodels.decision import ROW_COLUMNS, decide, decide_frame
    from riskmodels.features import build_features
    from riskmodels.synth import generate_portfolio

    threads, bundle.fraud.num_threads = bundle.fraud.num_threads, 1
    before = _without_tables(bundle)
    apps = generate_portfolio(n_rows, SEED).applications[APPLICATIONS.names]
    features = build_features(apps)
    encoded = bundle.fraud._encode(features)
    records = apps.iloc[:one_row_sample].to_dict(orient="records")
    new = decide_frame(apps, bundle)
    for name, old in (("pred_contrib", decide_frame(apps, before)), ("per-row loop", decide_frame_before(apps, bundle))):
        if (differs := _differing_column(new, old, ROW_COLUMNS[1:])) is not None:
            raise AssertionError(f"decide_frame and its {name} form differ on {differs}")
    runs: dict[str, Callable[[], object]] = {
        "decide_frame (TreeSHAP tables)": lambda: decide_frame(apps, bundle),
        "decide_frame with pred_contrib (before)": lambda: decide_frame(apps, before),
        "per-row loop (first version)": lambda: decide_frame_before(apps, bundle),
        f"decide() per row ({one_row_sample:,})": lambda: [decide(r, bundle) for r in records],
        "fraud SHAP: tables alone": lambda: bundle.fraud.contribution_matrix(features),
        "fraud SHAP: pred_contrib alone": lambda: bundle.fraud.booster_.predict(encoded, pred_contrib=True,
                                                                               num_threads=1)}
    rows = {name: one_row_sample if name.startswith("decide()") else n_rows for name in runs}
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    try:
        for repeat in range(repeats + 1):  # the first round warms up
            for name, fn in runs.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                fn()
                if repeat:
                    wall[name].append(time.perf_counter() - start)
                    cpu[name].append(time.process_time() - start_cpu)
    finally:
        bundle.fraud.num_threads = threads
    out: dict[str, Any] = {"rows": n_rows, "repeats": repeats, "threads": 1, "paths": {}}
    for name in runs:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        out["paths"][name] = {"rows": rows[name], "median_wall_s": w, "median_cpu_s": c,
                              "rows_per_s_wall": rows[name] / w, "rows_per_s_cpu": rows[name] / c,
                              "runs_wall_s": [round(x, 4) for x in wall[name]]}
    return out


def print_frame(results: dict[str, Any], path: Any) -> None:
    paths = results["paths"]
    frame, before = paths["decide_frame (TreeSHAP tables)"], paths["decide_frame with pred_contrib (before)"]
    print_table(f"decide_frame on {results['rows']:,} generated applications, one core "
                f"(median of {results['repeats']}, interleaved)",
                ["path", "rows", "wall s", "CPU s", "rows/s wall", "rows/s CPU", "x before (CPU)"],
                [[name, p["rows"], p["median_wall_s"], p["median_cpu_s"], p["rows_per_s_wall"], p["rows_per_s_cpu"],
                  p["rows_per_s_cpu"] / before["rows_per_s_cpu"]] for name, p in paths.items()])
    verdict = "met" if frame["rows_per_s_cpu"] >= 50_000 else "NOT met"
    print(f"\ndecide_frame: {frame['rows_per_s_cpu']:,.0f} rows/s of CPU ({frame['rows_per_s_wall']:,.0f} wall), "
          f"{frame['rows_per_s_cpu'] / before['rows_per_s_cpu']:.2f}x its pred_contrib form; target >= 50,000 on "
          f"one core: {verdict}. Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; the same answers "
          f"as the pred_contrib form and the per-row loop on every row; written to {path}")
