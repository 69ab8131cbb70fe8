"""Batch rejects judge the identifiers' formats exactly as the contract (and so the API) does,
and quote a refused identifier masked."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodels.contract import APPLICATIONS
from riskmodels.contract.tables import NOT_BLANK_RULE
from riskmodels.data.rejects import find_problems

FORMATTED = [c for c in APPLICATIONS.columns if c.pattern is not None]


def test_every_identifier_and_text_column_has_a_format() -> None:
    # The owner's and the device's identifiers, and the id and the name, which must not be blank.
    assert {c.name for c in FORMATTED} == {"owner_id_number", "owner_phone", "device_id", "business_address",
                                           "application_id", "business_name"}


def test_a_blank_id_or_name_is_rejected_in_a_batch_as_at_the_api() -> None:
    batch = pa.table({"application_id": pa.array(["A-1", " ", "\u3000", "A-4", "\u200b\u00a0"], pa.string()),
                      "business_name": pa.array(["\t", "老王家常菜", " 老王 ", "\ufeff", "老王"], pa.string())})
    problems = find_problems(batch, APPLICATIONS)
    assert problems.rejected.tolist() == [True, True, True, True, True]
    assert sorted(problems.fields) == ["application_id", "application_id", "application_id", "business_name",
                                       "business_name"]
    assert all(NOT_BLANK_RULE in r for r in problems.reasons)


def _values(pattern: str) -> st.SearchStrategy[str]:
    near = st.from_regex(pattern, fullmatch=True)
    return st.one_of(
        near,  # well formed
        near.map(lambda v: v + "\n"), near.map(lambda v: " " + v), near.map(lambda v: v[:-1]),  # nearly
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=130),  # anything, CJK and full-width too
    )


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_batch_verdict_is_the_contract_s_for_any_string(data: st.DataObject) -> None:
    col = data.draw(st.sampled_from(FORMATTED))
    values = data.draw(st.lists(_values(col.pattern or ""), min_size=1, max_size=20))
    problems = find_problems(pa.table({col.name: pa.array(values, pa.string())}), APPLICATIONS)
    # An empty string is a missing value: refused as such where the column is required.
    expected = [i for i, v in enumerate(values) if (v and col.format_problem(v) is not None) or (not v and col.required)]
    assert problems.rejected.nonzero()[0].tolist() == expected
    assert problems.fields == [col.name] * len(expected)
    assert all(r.startswith((f"{col.name}: {col.rule}; got ", f"{col.name}: is required; got ''"))
               for r in problems.reasons)


@pytest.mark.parametrize(("name", "bad"), [
    ("device_id", "3f9c 2a7b e01d 4c58"), ("business_address", "上海市浦东新区，张杨路500号"),
    ("owner_phone", "1381234567"), ("owner_id_number", "１１０１０１１９９００３０７１２３４"),
])
def test_a_refused_identifier_is_quoted_masked(name: str, bad: str) -> None:
    good = {"device_id": "3f9c2a7be01d4c58", "business_address": "上海市浦东新区张杨路500号",
            "owner_phone": "13812345678", "owner_id_number": "110101199003071234"}[name]
    problems = find_problems(pa.table({name: pa.array([good, bad], pa.string())}), APPLICATIONS)
    assert problems.rejected.tolist() == [False, True]
    (reason,) = problems.reasons
    assert reason == f"{name}: {APPLICATIONS.column(name).rule}; got '{'*' * len(bad)}'"
    assert bad not in reason


def test_a_null_identifier_passes_where_the_contract_allows_it_and_not_elsewhere() -> None:
    batch = pa.table({"device_id": pa.array([None, ""], pa.string()),
                      "owner_phone": pa.array([None, ""], pa.string())})
    problems = find_problems(batch, APPLICATIONS)
    assert problems.fields == ["owner_phone", "owner_phone"]
    assert problems.reasons == ["owner_phone: is required; got null", "owner_phone: is required; got ''"]
