"""Post-loan actions: what the B card and the C card scores turn into (DOMAIN.md §3, steps 4-5).

- B card: one **action** per account (renew without repaying first 续贷 / keep / reduce /
  freeze the unused limit) and the month's **limit adjustment**. "renew" is offered only
  before maturity (DOMAIN.md §3 step 4): inside ``renew.window_months`` of the snapshot's
  ``months_to_maturity``; a good account further from maturity is kept.
- C card: cure probability -> **treatment** (SMS, phone call, field visit, legal) by DPD
  bucket, and the **priority** order of the day's cases (expected recovery, largest first),
  beside the seed's rule order (amount, grade, industry risk) it is measured against.

The thresholds come from ``PostLoanPolicy`` (``riskmodels.policy.post_loan``, which also
re-exports these functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskmodels.contract import DPD_BUCKETS, INDUSTRIES

if TYPE_CHECKING:  # post_loan re-exports this module: importing it at run time would be a cycle
    from riskmodels.policy.post_loan import PostLoanPolicy


def _column(frame: pd.DataFrame, name: str, table: str) -> np.ndarray:
    if name not in frame.columns:
        raise ValueError(f"{table} must have column {name!r}; got {list(frame.columns)}")
    return frame[name].to_numpy(dtype=float, na_value=np.nan)


def _scores(values: np.ndarray, n: int, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=float)
    if out.shape != (n,) or np.isnan(out).any():
        raise ValueError(f"{name} must be {n} numbers without NaN, one per row; got shape {out.shape}")
    return out


# -- B card -------------------------------------------------------------------------------
def behavior_actions(snapshots: pd.DataFrame, b_scores: np.ndarray, policy: PostLoanPolicy) -> pd.DataFrame:
    """Action, new limit and frozen flag per snapshot row (same index), from its B score."""
    get = partial(_column, snapshots, table="behavior_snapshots")
    has_last_year = "inflow_same_month_last_year" in snapshots.columns
    return pd.DataFrame(_actions(get, has_last_year, len(snapshots), b_scores, policy), index=snapshots.index)


def behavior_action_one(snapshot: Mapping[str, Any], b_score: float, policy: PostLoanPolicy) -> dict[str, Any]:
    """``behavior_actions`` of one snapshot given as a dict (the live API): the same numpy rules
    on one-element arrays, without building frames (most of the time on one row)."""
    def get(name: str) -> np.ndarray:
        if name not in snapshot:
            raise ValueError(f"behavior_snapshots must have column {name!r}; got {list(snapshot)}")
        value = snapshot[name]
        return np.array([np.nan if value is None else value], dtype=float)

    has_last_year = "inflow_same_month_last_year" in snapshot
    return {name: values.tolist()[0]  # Python scalars, as a frame's rows give them
            for name, values in _actions(get, has_last_year, 1, np.array([b_score]), policy).items()}


def _actions(get: Callable[[str], np.ndarray], has_last_year: bool, n: int, b_scores: np.ndarray,
             policy: PostLoanPolicy) -> dict[str, np.ndarray]:
    rules, adj = policy.behavior, policy.behavior.limit_adjustment
    score = _scores(b_scores, n, "b_scores")
    risk_class = policy.bands.assign(score)
    limit, balance, inflow, baseline = get("limit_amount"), get("balance"), get("inflow_month"), get("inflow_baseline")
    last_year = get("inflow_same_month_last_year") if has_last_year else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # no baseline: ratio unknown, rules below stay quiet
        # Like for like where last year's comparable month is known, so a festival dip does not
        # block a renewal nor a year-end peak raise a limit; else against the pre-loan mean.
        inflow_ratio = np.where(last_year > 0, inflow / last_year, np.where(baseline > 0, inflow / baseline, np.nan))

    freeze = get("dpd") >= rules.freeze.min_dpd
    if rules.freeze.on_no_flow:
        freeze |= inflow == 0
    reduce = ~freeze & (np.isin(risk_class, rules.reduce.classes)
                        | (get("worst_dpd_3m") >= rules.reduce.min_worst_dpd_3m))
    renew = (~freeze & ~reduce & (get("months_to_maturity") <= rules.renew.window_months)
             & (score >= rules.renew.min_score)
             & (get("worst_dpd_6m") <= rules.renew.max_worst_dpd_6m) & (inflow_ratio >= rules.renew.min_inflow_ratio))
    if rules.renew.no_new_large_loan:
        renew &= ~(get("new_large_loan_other_bank") > 0)
    action = np.select([freeze, reduce, renew], ["freeze", "reduce", "renew"], "keep").astype(object)

    def rounded(values: np.ndarray) -> np.ndarray:
        return np.round(values / adj.round_to) * adj.round_to

    grow = (~freeze & ~reduce & np.isin(risk_class, adj.raise_classes)
            & (inflow_ratio >= adj.raise_min_inflow_ratio))
    # A raise never lifts a limit above the product cap, nor cuts one already above it.
    raised = np.maximum(limit, np.minimum(rounded(limit * (1 + adj.raise_share)), adj.max_limit))
    cut = np.minimum(limit, np.maximum(balance, rounded(limit * (1 - adj.cut_share))))  # never below the balance
    new_limit = np.where(grow, raised, np.where(reduce, cut, limit))
    change = np.where(limit > 0, new_limit / np.where(limit > 0, limit, 1.0) - 1, 0.0)  # no 0/0 warning
    return {
        "b_score": score, "risk_class": risk_class, "action": action, "limit_amount": limit,
        "new_limit": new_limit, "limit_change_share": change,
        "unused_limit_frozen": freeze,
        "available_limit": np.where(freeze, 0.0, np.maximum(new_limit - balance, 0.0)),
    }


# -- C card -------------------------------------------------------------------------------
def collection_treatments(cases: pd.DataFrame, cure_prob: np.ndarray, policy: PostLoanPolicy) -> np.ndarray:
    """Treatment of each case: the first step of its bucket's ladder whose threshold it reaches."""
    bucket = cases["dpd_bucket"].to_numpy(dtype=object) if "dpd_bucket" in cases.columns else None
    return _treatments(bucket, _scores(cure_prob, len(cases), "cure_prob"), policy)


def collection_plan_one(case: Mapping[str, Any], cure_prob: float, policy: PostLoanPolicy) -> dict[str, Any]:
    """``collection_plan`` of a request with one case (the live API), without a frame: the same
    treatment rules and expected recovery; a lone case is called first."""
    treatment = _treatments(np.array([case.get("dpd_bucket")], dtype=object),
                            _scores(np.array([cure_prob]), 1, "cure_prob"), policy)[0]
    balance = case.get("balance")
    return {"cure_prob": cure_prob, "expected_recovery": cure_prob * (math.nan if balance is None else float(balance)),
            "treatment": str(treatment), "priority": 1}


def _treatments(bucket: np.ndarray | None, p: np.ndarray, policy: PostLoanPolicy) -> np.ndarray:
    if bucket is None or not np.isin(bucket, DPD_BUCKETS).all():
        raise ValueError(f"cases must have a dpd_bucket column with values in {list(DPD_BUCKETS)}")
    out = np.empty(len(bucket), dtype=object)
    for name, steps in policy.collection.treatments.items():
        in_bucket = bucket == name
        for step in reversed(steps):  # lowest threshold first; higher thresholds overwrite
            out[in_bucket & (p >= step.min_cure_prob)] = step.treatment
    return out


def cure_order(cases: pd.DataFrame, cure_prob: np.ndarray) -> np.ndarray:
    """Positions of the cases by expected recovery (cure probability x balance), largest first."""
    expected = _scores(cure_prob, len(cases), "cure_prob") * _column(cases, "balance", "collection_cases")
    return np.argsort(-expected, kind="stable")


def rule_order(cases: pd.DataFrame, policy: PostLoanPolicy) -> np.ndarray:
    """The seed's order: amount (largest first), grade (worst first), industry (riskiest first).

    The grade is the class of the latest B score; industry risk is the policy's ranking.
    """
    balance = _column(cases, "balance", "collection_cases")
    b_class = policy.bands.assign(_column(cases, "latest_b_score", "collection_cases"))
    # get_indexer takes any array-like (pandas annotates it Axes); pandas-stubs narrows it to Index.
    grade = pd.Index(policy.bands.names).get_indexer(b_class)  # type: ignore[arg-type]  # 0 = best class
    if "industry" not in cases.columns:
        raise ValueError(f"collection_cases must have column 'industry'; got {list(cases.columns)}")
    industry = pd.Index(policy.collection.industry_risk_order).get_indexer(
        cases["industry"].to_numpy(dtype=object))  # type: ignore[arg-type]  # as above
    industry = np.where(industry < 0, len(INDUSTRIES), industry)  # unknown industry: called last
    return np.lexsort((industry, -grade, -balance))


def collection_plan(cases: pd.DataFrame, cure_prob: np.ndarray, policy: PostLoanPolicy) -> pd.DataFrame:
    """The day's cases with cure probability, expected recovery, treatment and priority (1 = first)."""
    order = cure_order(cases, cure_prob)
    priority = np.empty(len(cases), dtype=np.int64)
    priority[order] = np.arange(1, len(cases) + 1)
    plan = pd.DataFrame({
        "cure_prob": np.asarray(cure_prob, dtype=float),
        "expected_recovery": np.asarray(cure_prob, dtype=float) * _column(cases, "balance", "collection_cases"),
        "treatment": collection_treatments(cases, cure_prob, policy),
        "priority": priority,
    }, index=cases.index)
    if "case_id" in cases.columns:
        plan.insert(0, "case_id", cases["case_id"].to_numpy())
    return plan.sort_values("priority")


def recovered_balance_in_first_n(cases: pd.DataFrame, order: np.ndarray, n: int) -> float:
    """Balance of the cases that actually cured (``cured_30d``) among the first ``n`` in ``order``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer; got {n!r}")
    positions = np.asarray(order)
    valid = (positions.ndim == 1 and np.issubdtype(positions.dtype, np.integer)
             and len(np.unique(positions)) == len(positions)
             and (len(positions) == 0 or (positions.min() >= 0 and positions.max() < len(cases))))
    if not valid:
        raise ValueError(f"order must be distinct row positions in [0, {len(cases)}); got {positions[:10]!r}")
    first = positions[:n]
    cured = _column(cases, "cured_30d", "collection_cases")[first]
    return float(np.sum(_column(cases, "balance", "collection_cases")[first] * cured))


@dataclass(frozen=True)
class OrderingComparison:
    """Balance recovered in the first ``n`` calls under each order."""

    n: int
    c_card: float
    rule: float
    total_cured_balance: float

    @property
    def lift(self) -> float:
        """C-card recovery over rule recovery, minus one (0.25: a quarter more balance)."""
        return self.c_card / self.rule - 1 if self.rule > 0 else float("nan")


def compare_orderings(cases: pd.DataFrame, cure_prob: np.ndarray, n: int, policy: PostLoanPolicy) -> OrderingComparison:
    """C-card order against the seed's rule order on cases with known outcomes."""
    everything = np.arange(len(cases))
    return OrderingComparison(n, recovered_balance_in_first_n(cases, cure_order(cases, cure_prob), n),
                              recovered_balance_in_first_n(cases, rule_order(cases, policy), n),
                              recovered_balance_in_first_n(cases, everything, len(cases)))
