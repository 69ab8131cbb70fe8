"""Rules between the columns of one row (``contract.row_rules``): what they refuse, what they
let through, and that the simulator's books keep every one of them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskmodels.contract import APPLICATIONS, BEHAVIOR_SNAPSHOTS, COLLECTION_CASES
from riskmodels.contract.row_rules import ROW_RULES, row_breaks

counts = st.one_of(st.none(), st.integers(0, 400))


@given(three=counts, six=counts, seven=counts, thirty=counts)
def test_a_shorter_windows_count_above_the_longers_is_refused_and_nothing_else(
        three: int | None, six: int | None, seven: int | None, thirty: int | None) -> None:
    row = {"pb_inquiries_3m": three, "pb_inquiries_6m": six, "applications_7d": seven, "applications_30d": thirty}
    named = [field for field, _ in row_breaks(APPLICATIONS, row)]
    expected = [field for field, (value, bound) in (("pb_inquiries_3m", (three, six)),
                                                    ("applications_7d", (seven, thirty)))
                if value is not None and bound is not None and value > bound]
    assert named == expected  # a null is missing, never a contradiction


@given(since=st.sampled_from([-1, 0, 3, 30]), worst=st.integers(0, 400), late=st.integers(0, 20))
def test_never_overdue_leaves_no_day_past_due(since: int, worst: int, late: int) -> None:
    row = {"pb_months_since_overdue": since, "pb_max_dpd_24m": worst, "pb_overdue_le30_24m": late}
    named = {field for field, _ in row_breaks(APPLICATIONS, row)}
    assert named == ({f for f, v in (("pb_max_dpd_24m", worst), ("pb_overdue_le30_24m", late)) if v > 0}
                     if since == -1 else set())


def _bucket(days: int) -> str:
    """Written apart from the rule: the arrears bucket of a number of days past due."""
    return "1-29" if days < 30 else "30-59" if days < 60 else "60-89" if days < 90 else "90+"


@given(days=st.one_of(st.none(), st.integers(1, 3650)),
       bucket=st.one_of(st.none(), st.sampled_from(["1-29", "30-59", "60-89", "90+"])))
def test_a_case_s_bucket_must_hold_its_days_past_due(days: int | None, bucket: str | None) -> None:
    # The review's cases: 15 days in "90+" was sent to legal, 200 days in "1-29" to a phone call.
    row = {"dpd": days, "dpd_bucket": bucket, "promises_made_6m": 0, "promises_kept_6m": 0}
    named = [field for field, _ in row_breaks(COLLECTION_CASES, row)]
    assert named == (["dpd_bucket"] if days is not None and bucket is not None and bucket != _bucket(days) else [])


def test_a_batch_refuses_a_bucket_as_the_api_does() -> None:
    import pyarrow as pa

    from riskmodels.data.rejects import find_problems

    batch = pa.table({"dpd": [15, 200, 45], "dpd_bucket": pa.array(["90+", "1-29", "30-59"]).dictionary_encode()})
    problems = find_problems(batch, COLLECTION_CASES)
    assert problems.rejected.tolist() == [True, True, False]
    assert problems.reasons == [f"dpd_bucket: {rule}; got '{got}'" for rule, got in (
        (ROW_RULES["collection_cases"][-1].rule, "90+"), (ROW_RULES["collection_cases"][-1].rule, "1-29"))]


def test_every_rule_names_columns_of_its_table() -> None:
    tables = {t.name: t for t in (APPLICATIONS, BEHAVIOR_SNAPSHOTS, COLLECTION_CASES)}
    for name, rules in ROW_RULES.items():
        columns = set(tables[name].names)
        for rule in rules:
            assert {rule.field, *rule.others} <= columns, rule
            assert rule.rule.startswith("must ")


@pytest.mark.parametrize("table", [APPLICATIONS, BEHAVIOR_SNAPSHOTS, COLLECTION_CASES], ids=lambda t: t.name)
def test_the_simulators_book_keeps_every_rule(portfolio_dir: Path, table) -> None:
    frame = pd.read_parquet(portfolio_dir / f"{table.name}.parquet")
    assert len(frame) > 100
    columns = sorted({c for rule in ROW_RULES[table.name] for c in (rule.field, *rule.others)})
    rows = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict(orient="records")
    broken = [b for row in rows for b in row_breaks(table, row)]
    assert not broken, broken[:5]
