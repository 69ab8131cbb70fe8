"""``decide_frame``: ``decide`` for every row of a frame, on arrays.

Features are built once over the frame, the fraud model runs one batched TreeSHAP (its
SHAP comes with the prediction), the A card's points are one matrix, and the policy, limits,
rate and reasons are their vectorised twins (``riskmodels.policy.outcome_arrays``,
``decision.frame_reasons``) reading the same ``Policy``; the answers are built once, as columns
(no pydantic object per row; each distinct list of rule or reason ids is spelled once). The
answers are ``decide``'s, row for row: the twins take the scalar path's floating-point steps in
its order (a test holds them together on 20,000 applications).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.contract import PRODUCTS
from riskmodels.decision.application import ROW_COLUMNS, ModelBundle
from riskmodels.decision.frame_reasons import spelled_once, top_adverse_codes
from riskmodels.decision.limit_score import LimitSizing
from riskmodels.decision.reasons import APPLICATION_REASONS, MATERIAL_LOG_ODDS
from riskmodels.features import build_features
from riskmodels.policy.arrays import fact_arrays, grade_index, py_max, py_min
from riskmodels.policy.outcome_arrays import apply_policy_arrays
from riskmodels.scorecard.compiled import CompiledScorecard


def request_ids(n: int) -> list[str]:
    """``uuid.uuid4().hex`` n times, from one read of the OS's random source."""
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.tobytes().hex()
    return [text[32 * i:32 * (i + 1)] for i in range(n)]


def _sum_in_order(columns: np.ndarray) -> np.ndarray:
    """Row sums added column by column from 0.0, as the one-row path adds them (numpy's
    pairwise sum would round differently)."""
    total = np.zeros(columns.shape[0])
    for j in range(columns.shape[1]):
        total = total + columns[:, j]
    return total


def _clip(total: np.ndarray, card: CompiledScorecard) -> np.ndarray:
    return py_min(py_max(total, card.scale.min_score), card.scale.max_score)


def _limit_points(points: np.ndarray, features: pd.DataFrame, sizing: LimitSizing) -> np.ndarray:
    """``LimitSizing.points``: each characteristic drawing on a missing source held at its worst."""
    missing = {source: pd.isna(features[feature].to_numpy()) if feature in features.columns
               else np.ones(len(features), dtype=bool) for source, feature in sizing.indicators}
    held = points.copy()
    for j, (worst, sources) in enumerate(zip(sizing.worst, sizing.held_if_missing, strict=True)):
        if sources:
            at_worst = np.logical_or.reduce([missing[s] for s in sources])
            held[:, j] = np.where(at_worst, worst, points[:, j])
    return _sum_in_order(held)


def _bits(fired: np.ndarray) -> np.ndarray:
    """Each row of a boolean matrix as one integer key (its set of fired rules)."""
    if fired.shape[1] > 62:
        raise ValueError(f"rules must number at most 62 to be keyed as bits; got {fired.shape[1]}")
    return fired.astype(np.int64) @ (np.int64(1) << np.arange(fired.shape[1], dtype=np.int64))


def _text_column(applications: pd.DataFrame, name: str) -> np.ndarray:
    if name not in applications.columns:
        return np.full(len(applications), None, dtype=object)
    values = applications[name].to_numpy(dtype=object, copy=True)
    missing = pd.isna(values)
    values = np.array([str(v) for v in values], dtype=object)
    values[missing] = None
    return values


def decide_frame(applications: pd.DataFrame, bundle: ModelBundle) -> pd.DataFrame:
    """``decide`` for every row of a frame of contract columns: one row of answers per
    application (``ROW_COLUMNS``), same index."""
    if applications.empty:  # no rows: the columns still say what an answer holds
        return pd.DataFrame(columns=ROW_COLUMNS, index=applications.index)
    card, policy, n = bundle.scorecard, bundle.policy, len(applications)
    features = build_features(applications)
    assessed = bundle.fraud.assess(features)
    points = card.characteristic_points(features)[list(card.features)].to_numpy(dtype=float)
    total = _sum_in_order(points)
    score, applicant_pd = _clip(total, card), np.asarray(card.pd_from_points(total), dtype=float)
    limit_total = _limit_points(points, features, bundle.limit_sizing)
    facts = fact_arrays(applications, features)
    fraud_score = np.asarray(assessed.score, dtype=float)
    outcome = apply_policy_arrays(facts, score, applicant_pd, fraud_score,
                                  np.asarray(assessed.verdict, dtype=object), policy, _clip(limit_total, card),
                                  np.asarray(card.pd_from_points(limit_total), dtype=float))
    top_n = policy.reasons.top_n
    means = np.array([card.mean_points[name] for name in card.features])
    reason_codes = top_adverse_codes(points - means, list(card.features), features, APPLICATION_REASONS, -1, top_n)
    fraud_codes = top_adverse_codes(assessed.contributions[:, :-1], list(bundle.fraud.features_), features,
                                    APPLICATION_REASONS, 1, top_n, drop_favourable=True, minimum=MATERIAL_LOG_ODDS)
    class_names = np.array([c.name for c in policy.classes], dtype=object)
    class_pds = np.array([np.nan if c.effective_pd is None else c.effective_pd for c in policy.classes])
    grades = np.array([g.name for g in policy.master_scale.grades], dtype=object)
    limit = outcome.limit
    products = np.array([*PRODUCTS, None], dtype=object)  # index -1: no product
    columns: dict[str, Any] = {
        "request_id": request_ids(n), "application_id": _text_column(applications, "application_id"),
        "decision": outcome.decision, "fraud_score": fraud_score,
        "fraud_probability": np.asarray(assessed.probability, dtype=float), "fraud_verdict": outcome.fraud_verdict,
        "score": score, "pd": applicant_pd, "risk_class": class_names[outcome.risk_class],
        "class_pd": class_pds[outcome.risk_class], "grade": grades[grade_index(applicant_pd, policy)],
        "sized_class": class_names[outcome.sized_class], "requested_product": facts.product,
        "requested_amount": limit.requested_amount, "recommended_product": products[limit.recommended],
        "pre_approved_limit": limit.pre_approved, "final_limit": limit.final, "rate": outcome.rate,
    }
    for product in limit.by_product:
        columns[f"limit_{product.product}"] = product.limit
        columns[f"limit_{product.product}_reason"] = product.reason
    fired, ids = outcome.rules.fired, outcome.rules.ids
    columns["deciding_rule"] = outcome.deciding_rule()
    columns["rules"] = spelled_once(_bits(fired), lambda i: [ids[j] for j in np.flatnonzero(fired[i]).tolist()])
    columns["reason_codes"] = reason_codes
    columns["fraud_reason_codes"] = fraud_codes
    return pd.DataFrame(columns, index=applications.index, columns=ROW_COLUMNS)
