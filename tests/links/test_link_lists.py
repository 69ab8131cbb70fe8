"""Blacklists: provenance, expiry, soft removal, the change history, the exit rules; and the
hits scoring reads, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from riskmodels.links import ExitRule, IdentifierKind, LinkStore, ListError, ListKind
from riskmodels.links.lists import DEFAULT_TERM

T0 = datetime(2024, 5, 1, tzinfo=UTC)
ID, PHONE = "110101199003071234", "13812345678"
APPLICATION = {"owner_id_number": "310104198511230027", "owner_phone": PHONE}


def test_an_entry_hits_from_its_addition_until_it_expires(store: LinkStore) -> None:
    entry = store.lists.add(ListKind.COURT, IdentifierKind.PHONE, PHONE, source="(2024)京01执123号",
                            added_by="alice", reason="court listing", at=T0, expires_at=T0 + timedelta(days=30))
    assert (entry.identifier_masked, entry.source, entry.added_by) == ("138****5678", "(2024)京01执123号", "alice")
    assert not store.lists.hits(APPLICATION, T0 - timedelta(seconds=1))
    assert store.lists.hits(APPLICATION, T0)
    assert store.lists.hits({**APPLICATION, "owner_phone": "138 1234 5678"}, T0 + timedelta(days=29))
    assert not store.lists.hits(APPLICATION, T0 + timedelta(days=30))  # expired: no hit
    assert store.lists.entries(active_at=T0 + timedelta(days=31)) == []
    assert store.lists.entries(identifier=(IdentifierKind.PHONE, PHONE)) == [entry]


def test_default_terms_follow_each_list_in_calendar_years(store: LinkStore) -> None:
    for kind in ListKind:
        entry = store.lists.add(kind, IdentifierKind.ID_NUMBER, ID, source="s", added_by="b", reason="r", at=T0)
        assert entry.expires_at == T0.replace(year=T0.year + DEFAULT_TERM[kind])  # 5 years, not 1,825 days
    leap = datetime(2024, 2, 29, 9, 30, tzinfo=UTC)
    entry = store.lists.add(ListKind.BANK, IdentifierKind.PHONE, PHONE, source="s", added_by="b", reason="r", at=leap)
    assert entry.expires_at == datetime(2029, 2, 28, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "value", "column"), [
    (IdentifierKind.ID_NUMBER, "12345", "owner_id_number"), (IdentifierKind.PHONE, "2381234567", "owner_phone"),
    (IdentifierKind.DEVICE, "ab", "device_id"), (IdentifierKind.ADDRESS, "上海", "business_address"),
])
def test_an_identifier_no_application_can_carry_is_refused(store: LinkStore, kind: IdentifierKind, value: str,
                                                           column: str) -> None:

    with pytest.raises(ListError) as refused:
        store.lists.add(ListKind.BANK, kind, value, source="s", added_by="b", reason="r", at=T0)
    assert refused.value.field == column and str(refused.value).startswith(f"{column} must be")
    assert value not in str(refused.value)
    assert store.lists.entries() == []
    # Written another way the platform reads alike, a well-formed one is taken.
    assert store.lists.add(ListKind.BANK, IdentifierKind.PHONE, "+86 138-1234-5678", source="s", added_by="b",
                           reason="r", at=T0).identifier_masked == "138****5678"


def test_removal_is_kept_and_every_change_recorded(store: LinkStore) -> None:
    entry = store.lists.add(ListKind.BANK, IdentifierKind.ID_NUMBER, ID, source="fraud team", added_by="alice",
                            reason="forged flow statements", at=T0)
    removed = store.lists.remove(entry.entry_id, by="bob", reason="appeal upheld", at=T0 + timedelta(days=2))
    assert (removed.removed_by, removed.removed_reason) == ("bob", "appeal upheld")
    assert store.lists.hits({"owner_id_number": ID}, T0 + timedelta(days=1))
    assert not store.lists.hits({"owner_id_number": ID}, T0 + timedelta(days=2))
    assert store.lists.entries() == [removed]  # soft delete: the entry stays, marked
    changes = store.lists.changes(entry.entry_id)
    assert [(c.action, c.by, c.reason, c.at) for c in changes] == [
        ("add", "alice", "forged flow statements", T0), ("remove", "bob", "appeal upheld", T0 + timedelta(days=2))]


@pytest.mark.parametrize(("state", "rule"), [("removed", "removed on 2024-05-02"), ("expired", "expired on 2024-05-11"),
                                             ("unknown", "no such entry")])
def test_removing_an_entry_that_is_not_active_names_the_field(store: LinkStore, state: str, rule: str) -> None:
    entry = store.lists.add(ListKind.PBOC, IdentifierKind.PHONE, PHONE, source="PBOC report", added_by="alice",
                            reason="r", at=T0, expires_at=T0 + timedelta(days=10))
    if state == "removed":
        store.lists.remove(entry.entry_id, by="bob", reason="lifted", at=T0 + timedelta(days=1))
    entry_id = entry.entry_id + (1 if state == "unknown" else 0)
    with pytest.raises(ListError, match=rule) as caught:
        store.lists.remove(entry_id, by="bob", reason="again", at=T0 + timedelta(days=20))
    assert caught.value.field == "entry_id"
    assert len(store.lists.changes()) == (2 if state == "removed" else 1)  # nothing half-written


@pytest.mark.parametrize(("field", "kwargs"), [
    ("reason", {"reason": " "}), ("by", {"added_by": ""}),
    ("expires", {"expires_at": T0 - timedelta(days=1)})])
def test_an_entry_without_provenance_or_with_a_past_expiry_is_refused(store: LinkStore, field: str,
                                                                       kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"source": "s", "added_by": "b", "reason": "r", "at": T0, **kwargs}
    with pytest.raises(ListError, match=f"^{field} must be") as caught:
        store.lists.add(ListKind.BANK, IdentifierKind.PHONE, PHONE, **args)  # type: ignore[arg-type]
    assert caught.value.field == field and store.lists.entries() == []


def test_an_exit_rule_lists_the_owner_once(store: LinkStore) -> None:
    account = {"owner_id_number": ID, "owner_phone": PHONE, "account_id": "APP000042"}
    added = store.lists.add_from_exit_rule(ExitRule.TWO_INTEREST_ARREARS, account, account_id="APP000042", at=T0)
    assert {(e.list_kind, e.identifier_kind) for e in added} == {(ListKind.BANK, IdentifierKind.ID_NUMBER),
                                                                  (ListKind.BANK, IdentifierKind.PHONE)}
    assert all(e.source == "exit rule: two_interest_arrears" and "APP000042" in e.reason for e in added)
    again = store.lists.add_from_exit_rule(ExitRule.USURY, account, account_id="APP000042", at=T0 + timedelta(days=1))
    assert again == [] and len(store.lists.entries()) == 2
    with pytest.raises(ListError, match="owner_id_number must be given"):
        store.lists.add_from_exit_rule(ExitRule.BLACKLIST, {"owner_phone": PHONE}, account_id="A")


def test_a_listed_phone_sets_blacklist_hit_at_scoring(store: LinkStore) -> None:
    store.lists.add(ListKind.COURT, IdentifierKind.PHONE, PHONE, source="court", added_by="a", reason="r", at=T0)
    clean, listed = store.in_place_rows([
        ("r1", {"owner_id_number": ID, "owner_phone": "13900000000", "blacklist_hit": False}),
        ("r2", {**APPLICATION, "blacklist_hit": False})], T0 + timedelta(days=1))
    assert (clean["blacklist_hit"], listed["blacklist_hit"]) == (False, True)
    # A caller's own true (a list the platform does not keep) stands.
    (kept,) = store.in_place_rows([("r3", {"owner_id_number": ID, "owner_phone": "13900000000",
                                           "blacklist_hit": True})], T0 + timedelta(days=1))
    assert kept["blacklist_hit"] is True
