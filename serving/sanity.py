"""Sanity checks of freshly loaded models, before they serve anyone.

The new bundle scores the reference customers (``riskmodels.synth.reference_bodies``: the
bodies of ``data/reference/*.json``), and each loaded B or C card a reference account or case
(below); every answer must come without an error, every number in it must be finite, every
probability within 0-1 and every score within 0-100. A champion that fails is not swapped in:
a registry mistake (a spec from another code version, a broken calibration) is caught by the
reload, not by the next customer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from riskmodels.config import ModelKind
from riskmodels.decision import AccountModels, ModelBundle, decide, score_behavior, score_collection
from riskmodels.synth import reference_bodies
from serving.schemas import ApplicationRequest, BehaviorRequest, CollectionRequest

# One plausible account-month and one collection case: every column of the contract, in range.
# Validated against the request models, so a change of the contract shows here first.
REFERENCE_ACCOUNT: dict[str, Any] = {
    "account_id": "REF-ACCOUNT-1", "snapshot_date": "2024-06-30", "industry": "retail",
    "months_on_book": 14, "months_to_maturity": 10, "limit_amount": 500_000.0, "balance": 320_000.0,
    "instalment_due": 28_000.0, "balance_before_due": 340_000.0, "dpd": 0, "worst_dpd_3m": 0, "worst_dpd_6m": 5,
    "times_dpd_1_29_6m": 1, "inflow_month": 410_000.0, "inflow_baseline": 450_000.0,
    "inflow_same_month_last_year": 380_000.0, "avg_balance_month": 62_000.0, "avg_balance_baseline": 70_000.0,
    "new_inquiries_since_booking": 2, "new_lenders_since_booking": 1, "new_large_loan_other_bank": False,
    "tax_trend": 52.0, "pos_trend": 48.0, "a_score_origination": 71.0,
}
REFERENCE_CASE: dict[str, Any] = {
    "case_id": "REF-CASE-1", "account_id": "REF-ACCOUNT-1", "case_date": "2024-06-30", "industry": "retail",
    "dpd": 18, "dpd_bucket": "1-29", "balance": 320_000.0, "limit_amount": 500_000.0,
    "previous_delinquencies_12m": 1, "contact_success_rate": 0.6, "promises_made_6m": 2, "promises_kept_6m": 1,
    "inflow_last_month": 300_000.0, "inflow_baseline": 450_000.0, "latest_b_score": 58.0,
}
log = logging.getLogger("riskmodels.serving")
_PROBABILITIES = frozenset({"pd", "pd_12m", "class_pd", "probability", "cure_probability"})
_SCORES = frozenset({"score"})


def _unsound(value: Any, path: str = "") -> Iterator[str]:
    """What is wrong with the numbers of an answer (as ``model_dump()`` gives it)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _unsound(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unsound(item, f"{path}[{index}]")
    elif isinstance(value, float) and not isinstance(value, bool):
        name = path.rsplit(".", 1)[-1]
        if not math.isfinite(value):
            yield f"{path} is {value}"
        elif name in _PROBABILITIES and not 0.0 <= value <= 1.0:
            yield f"{path} is {value}, not a probability"
        elif name in _SCORES and not 0.0 <= value <= 100.0:
            yield f"{path} is {value}, outside 0-100"


def _verdict(name: str, answer: BaseModel) -> dict[str, str]:
    wrong = list(_unsound(answer.model_dump()))
    return {name: "; ".join(wrong)} if wrong else {}


def check_bundle(bundle: ModelBundle) -> dict[str, str]:
    """Each reference customer the application and fraud champions cannot answer soundly, and why."""
    failures: dict[str, str] = {}
    for name, body in reference_bodies().items():
        row = ApplicationRequest.model_validate(body).model_dump(mode="json")
        try:
            failures |= _verdict(f"application: {name}", decide(row, bundle, request_id=f"sanity-{name}"))
        except Exception as exc:  # any failure refuses the models, and says which
            log.exception("sanity check: the application models fail on the reference customer %s", name)
            failures[f"application: {name}"] = f"{type(exc).__name__}: {exc}"
    return failures


def check_accounts(accounts: AccountModels) -> dict[str, str]:
    """The same for each B and C card that is loaded, on the reference account and case."""
    failures: dict[str, str] = {}
    cases = ((ModelKind.BEHAVIOR, BehaviorRequest, REFERENCE_ACCOUNT, score_behavior),
             (ModelKind.COLLECTION, CollectionRequest, REFERENCE_CASE, score_collection))
    for kind, model, body, score in cases:
        if kind not in accounts.models:
            continue
        row = model.model_validate(body).model_dump(mode="json")
        try:
            (answer,) = score(accounts, [row])
            failures |= _verdict(str(kind), answer)
        except Exception as exc:  # as above
            log.exception("sanity check: the %s card fails on its reference row", kind)
            failures[str(kind)] = f"{type(exc).__name__}: {exc}"
    return failures
