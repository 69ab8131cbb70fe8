"""The link counts training gets from a generated book (generator 1.4: device and address
columns): point in time, equal to counting by brute force, with no look-ahead; fraud rings'
counts above honest applicants'."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from riskmodels.links import frame_counts, in_place_frame
from riskmodels.synth import generate_portfolio

COLUMN_OF = {"owner_phone": "phone_shared_count", "device_id": "device_shared_count",
             "business_address": "address_shared_count"}


@pytest.fixture(scope="module")
def book() -> pd.DataFrame:
    generated = generate_portfolio(12_000, 9)
    return generated.applications.merge(generated.truth[["application_id", "fraud_ring_id"]], on="application_id")


def _brute_force(book: pd.DataFrame, column: str) -> list[int]:
    """For each application: the distinct other owners seen with its identifier on an earlier day."""
    seen: dict[str, list[tuple[pd.Timestamp, str]]] = defaultdict(list)
    for value, day, owner in zip(book[column], book["application_date"], book["owner_id_number"], strict=True):
        seen[value].append((day, owner))
    return [len({o for d, o in seen[value] if d < day and o != owner})
            for value, day, owner in zip(book[column], book["application_date"], book["owner_id_number"], strict=True)]


@pytest.mark.parametrize("column", list(COLUMN_OF))
def test_counts_of_a_generated_book_are_a_brute_force_count_of_earlier_days(book: pd.DataFrame, column: str) -> None:
    counts = frame_counts(book)[COLUMN_OF[column]]
    assert counts.tolist() == _brute_force(book, column)
    assert counts.sum() > 0  # the book does share identifiers: the comparison is not of zeros


def test_no_look_ahead_a_later_application_changes_no_earlier_count(book: pd.DataFrame) -> None:
    cut = book["application_date"].quantile(0.5)
    early = book[book["application_date"] <= cut]
    alone, within = frame_counts(early), frame_counts(book).loc[early.index]
    pd.testing.assert_frame_equal(alone, within)


def test_training_gets_the_store_counts_of_the_book_columns_not_the_vendor_counts(book: pd.DataFrame) -> None:
    trained_on = in_place_frame(book.drop(columns="fraud_ring_id"))
    counts = frame_counts(book)
    for name in ("device_shared_count", "address_shared_count", "phone_shared_count"):
        assert (trained_on[name] == counts[name].astype(np.int64)).all()
    # The vendor's counts look ahead and span other lenders: they are never below the store's.
    for name in ("device_shared_count", "address_shared_count"):
        assert (trained_on[name] <= book[name]).all()
        assert (trained_on[name] < book[name]).any()


def test_ring_members_device_and_address_counts_exceed_honest_applicants(book: pd.DataFrame) -> None:
    counts = frame_counts(book)
    ring = book["fraud_ring_id"].notna()
    assert ring.sum() >= 30
    for name in ("device_shared_count", "address_shared_count"):
        member, honest = counts.loc[ring, name].astype(float), counts.loc[~ring, name].astype(float)
        assert member.mean() > 5 * honest.mean(), (name, member.mean(), honest.mean())
        assert (member > 0).mean() > 3 * (honest > 0).mean()
