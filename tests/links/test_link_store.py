"""The identity-link store: counts point-in-time, the same online (SQL, on SQLite and on a real
PostgreSQL server) and in bulk (training), against a brute-force reading of their definitions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodels.links import (
    COUNT_COLUMNS,
    IdentifierKind,
    LinkStore,
    LinkStoreError,
    ListKind,
    frame_counts,
    point_in_time_counts,
)
from riskmodels.links.counts import DAY_US, in_place
from riskmodels.links.tables import applications, metadata, to_us
from riskmodels.stores import open_engine
from tests.links.conftest import KEY

T0 = datetime(2024, 5, 1, tzinfo=UTC)
ID_A, ID_B, ID_C = "110101199003071234", "310104198511230027", "440106197702141119"
PHONE, OTHER_PHONE = "13812345678", "13987654321"


_NUMBERS = itertools.count(1)


def app(owner: str, phone: str | None = PHONE, device: str | None = None, address: str | None = None,
        application_id: str | None = None) -> dict[str, object]:
    """An application of ``owner``: a new one (its own application id) unless one is given."""
    return {"application_id": application_id or f"APP-{next(_NUMBERS):06d}", "owner_id_number": owner,
            "owner_phone": phone, "device_id": device, "business_address": address}


# -- brute force: the definitions of links.counts, read literally ------------------------------
@dataclass(frozen=True)
class App:
    owner: int
    phone: int | None
    device: int | None
    address: int | None
    t_us: int


def brute_force(apps: list[App], i: int) -> dict[str, int | None]:
    me = apps[i]
    before = [a for a in apps if a.t_us < me.t_us]
    out: dict[str, int | None] = {}
    for kind in ("phone", "device", "address"):
        mine = getattr(me, kind)
        out[f"{kind}_shared_count"] = None if mine is None else len(
            {a.owner for a in before if getattr(a, kind) == mine and a.owner != me.owner})
    for name, days in (("applications_7d", 7), ("applications_30d", 30)):
        out[name] = sum(1 for a in before if a.owner == me.owner and a.t_us >= me.t_us - days * DAY_US)
    return out


# Few owners and identifiers, times on a coarse grid: many links, many ties, window edges hit.
apps_strategy = st.lists(st.builds(
    App, owner=st.integers(0, 4), phone=st.none() | st.integers(0, 3), device=st.none() | st.integers(0, 2),
    address=st.none() | st.integers(0, 2), t_us=st.integers(0, 80).map(lambda half_days: half_days * DAY_US // 2)),
    min_size=1, max_size=30)


def _row(a: App) -> dict[str, object]:
    return {"owner_id_number": f"ID{a.owner}", "owner_phone": None if a.phone is None else f"P{a.phone}",
            "device_id": None if a.device is None else f"D{a.device}",
            "business_address": None if a.address is None else f"A{a.address}"}


def _expected(apps: list[App]) -> pd.DataFrame:
    return pd.DataFrame([brute_force(apps, i) for i in range(len(apps))])[list(COUNT_COLUMNS)]


@given(apps_strategy)
@settings(max_examples=300, deadline=None)
def test_bulk_counts_equal_the_definitions_and_ignore_later_applications(apps: list[App]) -> None:
    t = np.array([a.t_us for a in apps], dtype=np.int64)
    got = point_in_time_counts(t, {
        IdentifierKind.ID_NUMBER: [a.owner for a in apps], IdentifierKind.PHONE: [a.phone for a in apps],
        IdentifierKind.DEVICE: [a.device for a in apps], IdentifierKind.ADDRESS: [a.address for a in apps]})
    expected = _expected(apps)
    assert got.astype(object).where(got.notna(), None).to_dict("records") == \
        expected.astype(object).where(expected.notna(), None).to_dict("records")
    # No look-ahead: adding applications after the last one changes nothing already computed.
    later = [App(a.owner, a.phone, a.device, a.address, int(t.max()) + DAY_US) for a in apps]
    extended = point_in_time_counts(np.concatenate([t, [a.t_us for a in later]]), {
        IdentifierKind.ID_NUMBER: [a.owner for a in apps + later], IdentifierKind.PHONE: [a.phone for a in apps + later],
        IdentifierKind.DEVICE: [a.device for a in apps + later],
        IdentifierKind.ADDRESS: [a.address for a in apps + later]})
    pd.testing.assert_frame_equal(extended.iloc[:len(apps)], got)


@given(apps=apps_strategy)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_store_answers_the_definitions_online_and_after_the_fact(store: LinkStore, apps: list[App]) -> None:
    # The fixture's store is shared by the examples: each starts empty.
    with store.engine.begin() as conn:
        conn.execute(applications.delete())
    order = sorted(range(len(apps)), key=lambda i: apps[i].t_us)
    expected = _expected(apps)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    # Online: each application recorded in time order gets its counts as it arrives.
    for i in order:
        seen = store.observe(f"req-{i}", _row(apps[i]), epoch + timedelta(microseconds=apps[i].t_us))
        assert seen.new and seen.counts.as_row() == expected.iloc[i].astype(object).where(
            expected.iloc[i].notna(), None).to_dict(), f"application {i}"
    # After the fact, with every later application in the store: the same, nothing seen ahead.
    for i, a in enumerate(apps):
        assert store.counts_at(_row(a), epoch + timedelta(microseconds=a.t_us)).as_row() == \
            expected.iloc[i].astype(object).where(expected.iloc[i].notna(), None).to_dict()


def test_shared_phone_counts_other_owners_and_velocity_counts_the_owner(store: LinkStore) -> None:
    first = store.observe("r1", app(ID_A), T0)
    assert first.counts.as_row() == {"phone_shared_count": 0, "device_shared_count": None,
                                     "address_shared_count": None, "applications_7d": 0, "applications_30d": 0}
    # The same phone written another way is the same phone.
    second = store.observe("r2", app(ID_B, phone="+86 138-1234-5678"), T0 + timedelta(hours=1))
    assert second.counts.phone_shared_count == 1
    again = store.observe("r3", app(ID_A, device="IMEI-1"), T0 + timedelta(days=6))
    assert (again.counts.phone_shared_count, again.counts.applications_7d, again.counts.applications_30d) == (1, 1, 1)
    assert again.counts.device_shared_count == 0
    late = store.observe("r4", app(ID_A, phone=OTHER_PHONE), T0 + timedelta(days=8))
    # r1 is 8 days old: out of the 7-day window, inside the 30-day one; the new phone links no one.
    assert (late.counts.phone_shared_count, late.counts.applications_7d, late.counts.applications_30d) == (0, 1, 2)


def test_the_same_application_scored_again_is_not_velocity(store: LinkStore) -> None:
    store.observe("r1", app(ID_A, application_id="APP-SAME"), T0)
    rescored = store.observe("r2", app(ID_A, application_id="APP-SAME"), T0 + timedelta(hours=2))
    assert (rescored.new, rescored.counts.applications_7d, rescored.counts.applications_30d) == (True, 0, 0)
    another = store.observe("r3", app(ID_A), T0 + timedelta(hours=3))
    assert (another.counts.applications_7d, another.counts.applications_30d) == (1, 1)


def test_velocity_is_the_larger_of_the_callers_all_lender_count_and_the_stores(store: LinkStore) -> None:
    store.observe("r1", app(ID_A), T0)
    seen = store.observe("r2", app(ID_A), T0 + timedelta(days=1))
    caller = {"applications_7d": 3, "applications_30d": 0, "phone_shared_count": 9}
    decided = in_place(caller, seen.counts, seen.list_hit)
    # The bureau saw 3 applications this week (the store 1); the store saw one this month the
    # bureau had not; the shared phone is the store's alone (no other owner has it).
    assert (decided["applications_7d"], decided["applications_30d"], decided["phone_shared_count"]) == (3, 1, 0)


def test_a_request_id_is_recorded_once_and_answered_as_the_first_time(store: LinkStore) -> None:
    store.observe("r1", app(ID_A), T0)
    first = store.observe("r2", app(ID_B), T0 + timedelta(minutes=1))
    store.observe("r3", app(ID_C), T0 + timedelta(minutes=2))
    retry = store.observe("r2", app(ID_B), T0 + timedelta(minutes=5))
    assert not retry.new and retry.applied_at == first.applied_at and retry.counts == first.counts
    assert store.count() == 3


def test_a_forgotten_application_counts_in_no_later_one(store: LinkStore) -> None:
    store.observe("kept", app(ID_A), T0)
    store.observe("refused", app(ID_A), T0 + timedelta(hours=1))
    assert store.forget(["refused", "never-recorded"]) == 1 and store.count() == 1
    later = store.observe("later", app(ID_A), T0 + timedelta(hours=2))
    assert (later.counts.applications_7d, later.counts.applications_30d) == (1, 1)  # "kept" alone
    assert store.forget([]) == 0


def test_a_batch_sees_its_own_earlier_rows(store: LinkStore) -> None:
    rows = store.in_place_rows([("b:0", {**app(ID_A), "phone_shared_count": 0}),
                                ("b:1", {**app(ID_B), "phone_shared_count": 0, "device_shared_count": 3})], T0)
    assert [r["phone_shared_count"] for r in rows] == [0, 1]
    # No device id sent: the caller's count stands, or 0 when none was sent.
    assert [r["device_shared_count"] for r in rows] == [0, 3]
    assert [r["blacklist_hit"] for r in rows] == [False, False]


def test_identifiers_are_stored_only_as_keyed_hashes(store_url: str, store: LinkStore) -> None:
    store.observe("r1", app(ID_A, device="IMEI-0042", address="北京市朝阳区建国路88号"), T0)
    store.lists.add(ListKind.BANK, IdentifierKind.PHONE, PHONE, source="s", added_by="b", reason="r", at=T0)
    raw = [ID_A, PHONE, "IMEI-0042", "imei-0042", "北京市朝阳区建国路88号"]
    if store_url.startswith("sqlite"):
        store.close()  # the WAL checkpointed into the file
        folder = Path(store_url.removeprefix("sqlite:///")).parent
        data = b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())
        assert data and not [v for v in raw if v.encode("utf-8") in data]
    engine = open_engine(store_url)
    with engine.connect() as conn:
        dumped = " ".join(str(tuple(r)) for table in metadata.sorted_tables for r in conn.execute(sa.select(table)))
    engine.dispose()
    assert "r1" in dumped and not [v for v in raw if v in dumped]


def test_another_key_is_refused(store_url: str, store: LinkStore) -> None:
    store.observe("r1", app(ID_A), T0)
    with pytest.raises(LinkStoreError, match=r"the pseudonym key must be the one the link store .* was made with"):
        LinkStore.open(store_url, KEY[::-1])


def test_an_application_without_owner_is_refused(store: LinkStore) -> None:
    with pytest.raises(LinkStoreError, match="owner_id_number must be given"):
        store.observe("r1", {"owner_phone": PHONE}, T0)


def test_frame_counts_read_the_contract_columns_by_date() -> None:
    frame = pd.DataFrame({"application_date": pd.to_datetime(["2024-05-01", "2024-05-01", "2024-05-03"]),
                          "owner_id_number": [ID_A, ID_B, ID_C],
                          "owner_phone": [PHONE, "138 1234 5678", PHONE]}, index=[10, 11, 12])
    counts = frame_counts(frame)
    # Same day: not linked to each other (strictly before); two days later both are seen.
    assert counts["phone_shared_count"].tolist() == [0, 0, 2]
    assert counts.index.tolist() == [10, 11, 12] and counts["device_shared_count"].isna().all()


def test_one_row_lookup_reads_indexes(tmp_path: Path) -> None:
    store = LinkStore.open(f"sqlite:///{tmp_path / 'l.sqlite'}", KEY)
    with store.engine.begin() as conn:
        conn.execute(applications.insert(), [
            {"request_id": f"r{i}", "applied_us": to_us(T0) + i, "owner_hash": f"{i % 997:064x}",
             "phone_hash": f"{i % 499:064x}", "device_hash": None, "address_hash": None} for i in range(20_000)])
    start = datetime.now(UTC)
    for i in range(200):
        store.counts_at(app(f"{i:018d}"), T0 + timedelta(days=1))
    per_lookup = (datetime.now(UTC) - start) / 200
    with store.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT count(DISTINCT owner_hash) FROM link_applications "
            "WHERE phone_hash = 'x' AND applied_us < 5 AND owner_hash != 'y'").fetchall()
    store.close()
    assert any("ix_link_phone_time" in str(step) for step in plan), plan
    assert per_lookup < timedelta(milliseconds=50), per_lookup


def test_concurrent_requests_are_all_recorded_once_and_none_fails(store: LinkStore) -> None:
    # The service decides in a thread pool: every request records its application at once.
    from concurrent.futures import ThreadPoolExecutor

    owners = [f"11010119900307{n:04d}" for n in range(8)]

    def send(i: int) -> bool:
        return store.observe(f"c-{i % 24}", app(owners[i % 8], application_id=f"APP-C{i % 24}"),
                             T0 + timedelta(seconds=i)).new

    with ThreadPoolExecutor(max_workers=8) as pool:
        fresh = list(pool.map(send, range(48)))  # each of 24 request ids sent twice, racing
    assert sum(fresh) == 24 and store.count() == 24
    # All eight owners share the test's phone: the last of them sees the seven others.
    last = store.counts_at(app(owners[0]), T0 + timedelta(days=1))
    assert last.phone_shared_count == 7


def test_training_gets_the_counts_scoring_gives_point_in_time_from_the_book() -> None:
    import pandas as pd

    from riskmodels.links.counts import in_place_frame
    from riskmodels.synth import generate_portfolio
    from riskmodels.training.samples import fraud_sample

    book = pd.DataFrame({
        "application_id": ["A1", "A2", "A3", "A4"],
        "application_date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05", "2024-03-01"]),
        "owner_id_number": [ID_A, ID_B, ID_A, ID_B],
        "owner_phone": [PHONE, "+86 138-1234-5678", OTHER_PHONE, PHONE],
        "phone_shared_count": [5, 0, 0, 0],   # what the book says: 5 on the first is look-ahead
        "applications_7d": [0, 2, 0, 0],      # all lenders: the bureau's count stays when larger
        "applications_30d": [0, 2, 0, 0],
    })
    decided = in_place_frame(book)
    assert decided["phone_shared_count"].tolist() == [0, 1, 0, 1]  # only earlier owners count
    assert decided["applications_7d"].tolist() == [0, 2, 1, 0]     # A3: A's own A1, four days before
    assert decided["applications_30d"].tolist() == [0, 2, 1, 0]    # A4: B's A2 is 58 days before
    later = in_place_frame(pd.concat([book, book.assign(application_id=["B1", "B2", "B3", "B4"],
                                                          application_date=book["application_date"]
                                                          + pd.Timedelta(days=400))]))
    assert later.iloc[:4][decided.columns].equals(decided)  # later applications change nothing before them
    generated = generate_portfolio(3_000, 5)
    sample = fraud_sample(generated.applications, generated.outcomes, None, "is_fraud")
    expected = in_place_frame(generated.applications)
    for column in ("phone_shared_count", "applications_7d", "applications_30d"):
        assert sample.input_rows[column].tolist() == expected[column].tolist()
