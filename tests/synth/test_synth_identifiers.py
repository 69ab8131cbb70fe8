"""Device fingerprints and business addresses (generator 1.4): well formed, shared by fraud rings,
mostly each applicant's own otherwise, in line with the book's anti-fraud counts, and drawn from a
stream of their own so that every other column of the book is what it was without them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import APPLICATIONS
from riskmodels.synth import Portfolio, generate_portfolio, identifiers
from riskmodels.synth.portfolio import TABLE_NAMES

NEW = ["device_id", "business_address"]
COUNT_OF = {"device_id": "device_shared_count", "business_address": "address_shared_count"}


@pytest.fixture(scope="module")
def book() -> Portfolio:
    return generate_portfolio(20_000, 5)


@pytest.fixture(scope="module")
def rows(book: Portfolio) -> pd.DataFrame:
    """Applications with their ring (None: no ring)."""
    return book.applications.merge(book.truth[["application_id", "fraud_ring_id"]], on="application_id")


def _others_sharing(rows: pd.DataFrame, column: str) -> pd.Series:
    """Over the whole book, ignoring time: the other owners seen with each row's identifier."""
    owners = rows.groupby(column)["owner_id_number"].nunique()
    return rows[column].map(owners) - 1


@pytest.mark.parametrize("column", NEW)
def test_every_application_carries_a_well_formed_identifier(book: Portfolio, column: str) -> None:
    values = book.applications[column]
    assert values.notna().all()
    problems = {APPLICATIONS.column(column).format_problem(v) for v in values}
    assert problems == {None}


def test_ring_members_share_a_few_devices_and_one_or_two_addresses(rows: pd.DataFrame) -> None:
    rings = rows[rows["fraud_ring_id"].notna()].groupby("fraud_ring_id")
    assert rings.ngroups >= 10
    size = rings.size()
    devices, places = rings["device_id"].nunique(), rings["business_address"].nunique()
    assert (devices <= np.maximum(1, size // 5)).all() and (places <= 2).all()
    assert (devices < size).all()  # every ring shares at least one device among its members
    # No ring shares its devices or addresses with anyone outside it.
    ring_devices = set(rows.loc[rows["fraud_ring_id"].notna(), "device_id"])
    assert not ring_devices & set(rows.loc[rows["fraud_ring_id"].isna(), "device_id"])


def test_honest_applicants_mostly_have_their_own(rows: pd.DataFrame) -> None:
    honest = rows[rows["fraud_ring_id"].isna()]
    own_device = (_others_sharing(rows, "device_id")[honest.index] == 0).mean()
    own_address = (_others_sharing(rows, "business_address")[honest.index] == 0).mean()
    assert 0.95 < own_device < 1.0  # a family's tablet, now and then
    assert 0.75 < own_address < 0.95  # shops of one market building, an office block


@pytest.mark.parametrize("column", NEW)
def test_the_book_never_holds_more_sharing_than_its_anti_fraud_count(rows: pd.DataFrame, column: str) -> None:
    """The counts are the vendor's, over all lenders: the book's own sharing is at most that,
    and for honest applicants it is that, but for the few left without a complete group."""
    in_book, count = _others_sharing(rows, column), rows[COUNT_OF[column]]
    assert (in_book <= count).all()
    honest = rows["fraud_ring_id"].isna()
    assert (in_book[honest] == count[honest]).mean() > 0.99
    sharing = honest & (count > 0)
    assert (in_book[sharing] == count[sharing]).mean() > 0.95


def test_the_other_columns_do_not_depend_on_the_identifier_stream(monkeypatch: pytest.MonkeyPatch,
                                                                 book: Portfolio) -> None:
    def nobody(chunk, rng) -> None:  # no identifiers, and the stream left undrawn
        for name in NEW:
            chunk.cols[name] = np.full(chunk.n, None, dtype=object)

    monkeypatch.setattr(identifiers, "add_identifiers", nobody)
    without = generate_portfolio(20_000, 5)
    assert without.applications[NEW].isna().all().all()
    for name in TABLE_NAMES:
        kept = [c for c in getattr(book, name).columns if c not in NEW]
        pd.testing.assert_frame_equal(getattr(without, name)[kept], getattr(book, name)[kept])


def test_addresses_never_collide_by_chance() -> None:
    rng = np.random.default_rng(0)
    serials = np.arange(0, 10**8, 97)  # a million serials spread over the whole range
    assert len(set(identifiers.addresses(rng, serials).tolist())) == len(serials)
    with pytest.raises(ValueError, match=r"serials must lie in \[0, 100000000\); got -1"):
        identifiers.addresses(rng, np.array([-1]))
