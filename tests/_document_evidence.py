"""Training-run evidence built in memory, in the shape the training runs log it, so the model
documents can be rendered without training a model: a scorecard run and a LightGBM (fraud) run.
Every text a run could carry from its data (a variable name, a bin, a param, the run id) can be
given, e.g. markup that the page must escape.

Import it as ``from _document_evidence import ...`` (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from riskmodels.evaluation.explain import decile_calibration, shap_summary
from riskmodels.registry.evidence import RunEvidence
from riskmodels.registry.store import RegisteredVersion

SPLITS = ("train", "test", "oot")


def _split_metrics(rng: np.random.Generator, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for i, s in enumerate(SPLITS):
        auc = 0.72 + 0.01 * rng.random()
        out |= {f"{prefix}{s}_n": float(3000 - 700 * i), f"{prefix}{s}_bad_rate": 0.05 + 0.01 * rng.random(),
                f"{prefix}{s}_auc": auc, f"{prefix}{s}_auc_lower": auc - 0.02, f"{prefix}{s}_auc_upper": auc + 0.02,
                f"{prefix}{s}_gini": 2 * auc - 1, f"{prefix}{s}_ks": 0.3 + 0.05 * rng.random(),
                f"{prefix}{s}_hl_statistic": 12.5 * rng.random(), f"{prefix}{s}_hl_pvalue": 0.03 * (i + 1),
                f"{prefix}{s}_jeffreys_failures": float(i), f"{prefix}{s}_binomial_failures": 0.0,
                f"{prefix}{s}_class_monotone": 1.0, f"{prefix}{s}_herfindahl": 0.2 + 0.1 * rng.random()}
    return out | {"psi_train_test": 0.012, "psi_train_oot": 0.13, "oracle_oot_auc": 0.79, "oot_auc_to_oracle": 0.93,
                  "test_auc_drop_pvalue": 0.2, "oot_auc_drop_pvalue": 0.01}


def scorecard_evidence(text: str = "x", seed: int = 0, calibration: dict[str, object] | None = None) -> RunEvidence:
    """An A-card run; ``text`` is put into a variable name, a bin, a reason and the run id."""
    rng = np.random.default_rng(seed)
    variables = [f"leverage{text}", "owner_age", "months_trading"]
    selection = pd.DataFrame({"variable": [*variables, "noise"], "iv": [0.31, 0.22, 0.12, 0.004],
                              "status": ["selected"] * 3 + ["dropped"], "reason": ["", "", "", f"iv below{text}"]})
    coefficients = pd.DataFrame({"variable": ["intercept", *variables], "coef": [-3.05, 0.91, 0.74, 1.12],
                                 "std_err": [0.05, 0.11, 0.09, 0.2], "z": [-61.0, 8.3, 8.2, 5.6],
                                 "p_value": [0.0, 1e-9, 2e-9, 0.07], "vif": [np.nan, 1.4, 1.2, 1.1]})
    rows = []
    for v in variables:
        for b in range(3):
            rows.append({"variable": v, "bin": f"[{b}, {b + 1}){text if b == 0 else ''}", "count": int(rng.integers(200, 900)),
                         "event_rate": float(0.02 + 0.03 * b), "woe": 0.4 - 0.4 * b, "iv": 0.03 * (b + 1),
                         "points": 12.0 - 6 * b})
    card = pd.DataFrame(rows)
    classes = pd.DataFrame({"class": ["A", "B", "C", "D"], "min_score": [80.0, 70.0, 60.0, 0.0],
                            "pd": [0.011, 0.032, 0.071, 0.16], "pd_low": [0.009, 0.028, 0.064, 0.14],
                            "pd_high": [0.013, 0.036, 0.078, 0.18]})
    spec = {"model": {"scale": {"base_points": 60, "base_odds": 50, "pdo": 20, "min_score": 0, "max_score": 100},
                      "intercept": -3.0512, "calibration": calibration}}
    quality = {"statistics": {"evaluated_expectations": 41, "successful_expectations": 41,
                              "unsuccessful_expectations": 0}}
    params = {"scorecard.iv_min": "0.02", "scorecard.max_corr": "0.6", "scorecard.max_vif": "5",
              "target": "bad_12m", "date_column": "application_date", "data.hash": f"abc{text}",
              "rows.train": "3000", "rows.test": "2300", "rows.oot": "1600", "split.oot_months": "6",
              "split.test_share": "0.2", "split.seed": "7", "reject_inference.method": "none",
              "challenger.model_name": f"sme-challenger{text}"}
    metrics = _split_metrics(rng) | {f"challenger_{s}_auc": 0.75 + 0.01 * i for i, s in enumerate(SPLITS)}
    version = RegisteredVersion("sme-application-scorecard", "3", f"run{text}", ("champion",), {})
    return RunEvidence(version, params, metrics, {"riskmodels.kind": "application", "git_commit": "0a1b2c"},
                       1_700_000_000_000,
                       {"selection/variable_selection.csv": selection, "model/coefficients.csv": coefficients,
                        "model/scorecard_table.csv": card, "model/risk_classes.csv": classes},
                       {"model/compiled_spec.json": json.dumps(spec), "gates.json": json.dumps({"min_oot_auc": 0.7}),
                        "quality/quality_applications.json": json.dumps(quality)})


def lightgbm_evidence(text: str = "x", seed: int = 0) -> RunEvidence:
    """A fraud-model run with every artefact ``training.gbm_evidence`` logs; ``text`` is put into
    a feature name, a hyper-parameter and the run id."""
    rng = np.random.default_rng(seed)
    features = [f"device_shared{text}", "velocity_7d", "declared_turnover_gap", "owner_age"]
    gain = np.array([420.0, 230.0, 120.0, 30.0])
    importance = pd.DataFrame({"feature": features, "gain": gain, "gain_share": gain / gain.sum(),
                               "splits": [40, 31, 22, 5]})
    contributions = rng.standard_normal((500, len(features) + 1)) * np.array([1.0, 0.6, 0.3, 0.1, 0.0])
    shap = shap_summary(contributions, features)
    pd_ = 1 / (1 + np.exp(-(-3.2 + rng.standard_normal(3000))))
    y = (rng.random(3000) < pd_).astype(float)
    deciles = decile_calibration(y, pd_, np.array(SPLITS)[np.arange(3000) % 3])
    monotone = {"method": "advanced", "constraints": {f: c for f, c in zip(features, (1, 1, 1, 0), strict=True)}}
    params = {"gbm.num_leaves": f"15{text}", "gbm.learning_rate": "0.05", "shap.rows": "500", "shap.sample": "oot",
              "shap.seed": "11", "shap.max_rows": "500", "calibration.intercept": "0.1234",
              "calibration.slope": "0.9876", "target": "fraud", "rows.train": "1000", "rows.test": "1000",
              "rows.oot": "1000"}
    version = RegisteredVersion("sme-fraud", "2", f"run{text}", (), {})
    return RunEvidence(version, params, _split_metrics(rng), {"riskmodels.kind": "fraud"}, 1_700_000_000_000,
                       {"model/feature_importance.csv": importance, "model/shap_summary.csv": shap,
                        "model/calibration_table.csv": deciles},
                       {"model/monotone_constraints.json": json.dumps(monotone)})
