"""decide_frame on arrays gives decide()'s answer, row for row and column for column, on
20,000 generated applications (a normal and a drifted book, thin files included) and the
reference customers; and under other policy settings, so one policy file drives both paths."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from riskmodels.contract import APPLICATIONS
from riskmodels.decision import ROW_COLUMNS, ModelBundle, decide, decide_frame, decision_row
from riskmodels.policy import Policy
from tests.decision.test_application import book, bundle, portfolio  # noqa: F401  (the small trained bundle)

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"


@pytest.fixture(scope="module")
def applications() -> pd.DataFrame:
    """20,000 applications the bundle never saw: half from a normal book, half from a drifted one
    (thinner files, more co-debt), then the three reference customers and 900 with a source sent
    in part."""
    from riskmodels.synth import generate_portfolio

    normal = generate_portfolio(n_applications=10_000, seed=29).applications[APPLICATIONS.names]
    drifted = generate_portfolio(n_applications=10_000, seed=31, drift=True).applications[APPLICATIONS.names]
    references = pd.DataFrame([json.loads(path.read_text(encoding="utf-8"))
                               for path in sorted(REFERENCE_DIR.glob("*.json"))])
    # Sources sent in part, where "no such source" would be false: no tax paid (the rest of the
    # tax record sent), twelve months of zero inflow, POS counts without their volumes.
    no_tax_paid = normal.head(300).assign(tax_paid_y1=None, tax_paid_y2=None)
    zero_inflow = normal.iloc[300:600].assign(**{f"inflow_m{m:02d}": 0.0 for m in range(1, 13)})
    no_pos_volume = normal.iloc[600:900].assign(**{f"pos_volume_m{m:02d}": None for m in range(1, 13)})
    rows = pd.concat([normal, drifted, references, no_tax_paid, zero_inflow, no_pos_volume], ignore_index=True)
    rows.index = [f"row-{i}" for i in range(len(rows))]  # not a RangeIndex: the frame keeps it
    return rows


def _same(expected: Any, got: Any) -> bool:
    """Equal, NaN equal to NaN, and a missing text (None) held by pandas as None or NaN."""
    if expected is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(got, float) and math.isnan(got)
    return bool(expected == got)


def differences(frame: pd.DataFrame, rows: pd.DataFrame, bundle: ModelBundle) -> dict[str, list[tuple[Any, ...]]]:  # noqa: F811
    """Per column, the rows where ``decide`` and the frame differ (expected, got)."""
    expected = [decision_row(decide(record, bundle)) for record in rows.to_dict(orient="records")]
    found: dict[str, list[tuple[Any, ...]]] = {}
    for key in ROW_COLUMNS[1:]:  # not the request id, fresh per answer
        column = frame[key].tolist()
        for index, one, got in zip(rows.index, expected, column):
            if not _same(one[key], got):
                found.setdefault(key, []).append((index, one[key], got))
    return found


def test_the_frame_is_decide_row_for_row_on_20000_applications(
        bundle: ModelBundle, applications: pd.DataFrame) -> None:  # noqa: F811
    frame = decide_frame(applications, bundle)
    assert list(frame.columns) == ROW_COLUMNS and list(frame.index) == list(applications.index)
    found = differences(frame, applications, bundle)
    assert not found, {key: (len(rows), rows[:3]) for key, rows in found.items()}
    # Exactly equal, floats included: the arrays take the scalar path's steps in its order.
    assert frame["request_id"].is_unique
    assert all(re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}", i) for i in frame["request_id"])
    # The book exercises the policy: every decision, thin data sent to a person, products
    # switched and rates on every non-rejection.
    assert set(frame["decision"]) == {"approve", "offer", "review", "reject"}
    fired = {rule for rules in frame["rules"] for rule in rules}
    assert {"LIMIT_THIN_DATA", "PRODUCT_SWITCH", "KO_FRAUD", "BAND_LOW", "BAND_HIGH"} <= fired
    assert frame.loc[frame["decision"] != "reject", "rate"].notna().all()
    assert frame.loc[frame["decision"] == "reject", "rate"].isna().all()
    assert (frame["reason_codes"].map(len) > 0).mean() > 0.9


def _variant(policy: Policy, **changes: dict[str, Any]) -> Policy:
    data = policy.model_dump()
    for section, values in changes.items():
        target = data
        *path, last = section.split(".")
        for part in path:
            target = target[part]
        target[last] = {**target[last], **values}
    return Policy.model_validate(data)


@pytest.mark.parametrize("changes", [
    {"pricing": {"method": "band_multiplier"}},
    {"pricing": {"pd_source": "applicant", "rounding": "up"}},
    {"pricing": {"pd_source": "class", "flat_capital_cost_pct": 1.0}},
    {"limits": {"thin_data": "review", "no_product": "review"},  # the defaults: low_score_cap, reject, offer
     "bands.high_score_exceptions": {"above_max_amount": "review"}},
    {"fraud": {"pass_score": 70, "review_score": 55}, "knockouts": {"fraud_reject": False}},
    {"products.tax_loan": {"enabled": False}, "products.general_credit": {"debt_service": {
        "repayment": "amortising", "net_flow_share": 0.4}}},
    {"bands.high_score_exceptions": {"branch_npl_above_average": True, "industries_under_warning": ["retail"]},
     "bands": {"approve_from": 75, "reject_below": 65}},
], ids=["band-multiplier", "applicant-pd-up", "class-pd", "thin-data-to-a-person", "policy-fraud-bands",
        "tax-loan-off-amortising", "bands-moved"])
def test_one_policy_drives_both_paths(bundle: ModelBundle, applications: pd.DataFrame,  # noqa: F811
                                      changes: dict[str, Any]) -> None:
    policy = _variant(bundle.policy, **changes)
    assert policy != bundle.policy
    varied = ModelBundle(scorecard=bundle.scorecard, fraud=bundle.fraud, policy=policy, versions=bundle.versions)
    rows = applications.iloc[::10]  # 2,000 of both books and a reference customer
    found = differences(decide_frame(rows, varied), rows, varied)
    assert not found, {key: (len(r), r[:3]) for key, r in found.items()}


def test_no_rows_give_the_columns(bundle: ModelBundle, applications: pd.DataFrame) -> None:  # noqa: F811
    empty = decide_frame(applications.iloc[:0], bundle)
    assert empty.empty and list(empty.columns) == ROW_COLUMNS
