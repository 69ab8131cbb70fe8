"""Collection's exit rules in the early-warning batch, on the session's generated book: the
owners of the accounts exited (two interest arrears, an owner on the courts' list) land on the
bank's own list with the rule, the account and the batch's date, every change recorded; an
exited account's line is frozen; and a new application from such an owner then hits the list
at scoring and is rejected by the blacklist knock-out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from riskmodels.decision import ModelBundle, decide
from riskmodels.links import IdentifierKind, LinkStore, ListKind
from riskmodels.loans import LoanStore
from riskmodels.monitoring.portfolio import monitor_portfolio
from riskmodels.stores import open_engine
from tests._bodies import book_bodies
from tests._small_bundle import small_bundle
from tests.loans.conftest import KEY, decision, new_id
from tests.monitoring.conftest import make_panel

LINK_KEY = b"exit-rules-test-link-key-0123456789abcdef"


@pytest.fixture()
def links(tmp_path: Path) -> Iterator[LinkStore]:
    store = LinkStore.open(f"sqlite:///{tmp_path / 'links.sqlite'}", LINK_KEY)
    yield store
    store.close()


@pytest.fixture()
def loans(tmp_path: Path) -> Iterator[LoanStore]:
    store = LoanStore(open_engine(f"sqlite:///{tmp_path / 'loans.sqlite'}"), KEY)
    yield store
    store.close()


@pytest.fixture(scope="module")
def bundle() -> ModelBundle:
    return small_bundle()


def _two_arrears(portfolio_dir: Path) -> tuple[set[str], set[str], pd.Period]:
    """The accounts past due at the last two month ends of the book (computed here, on its own),
    and the accounts of the last month."""
    snapshots = pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet", columns=["account_id", "snapshot_date",
                                                                                        "dpd"])
    month = snapshots["snapshot_date"].dt.to_period("M")
    last = month.max()
    now = snapshots[month == last].set_index("account_id")["dpd"]
    before = snapshots[month == last - 1].set_index("account_id")["dpd"]
    both = now.index.intersection(before.index)
    arrears = {str(a) for a in both if now[a] > 0 and before[a] > 0}
    return arrears, {str(a) for a in now.index}, last


def _body(portfolio_dir: Path, account_id: str) -> dict[str, Any]:
    """A new application from the owner of ``account_id``: its booked application again, under a new id."""
    frame = pd.read_parquet(portfolio_dir / "applications.parquet", columns=["application_id"])
    position = int(frame.index[frame["application_id"] == account_id][0])
    body = book_bodies(portfolio_dir, position + 1)[-1]
    assert body["application_id"] == account_id
    return {**body, "application_id": new_id("APP")}


def test_exited_owners_are_listed_and_their_next_application_hits_the_list(
        portfolio_dir: Path, tmp_path: Path, links: LinkStore, loans: LoanStore, bundle: ModelBundle) -> None:
    arrears, monitored, month = _two_arrears(portfolio_dir)
    assert len(arrears) >= 3, "the book must hold accounts in arrears two months running"
    owners = pd.read_parquet(portfolio_dir / "applications.parquet",
                             columns=["application_id", "owner_id_number", "owner_phone"]).set_index("application_id")
    healthy = sorted(monitored - arrears)
    court_listed, untouched = healthy[0], healthy[1:40]
    links.lists.add(ListKind.COURT, IdentifierKind.PHONE, str(owners.at[court_listed, "owner_phone"]),
                    source="(2025)沪01执77号", added_by="court feed", reason="失信被执行人",
                    at=datetime.now(UTC) - timedelta(days=1))
    exited_line = sorted(arrears)[0]
    line = loans.open_facility(decision(), account_id=exited_line)

    result = monitor_portfolio(portfolio_dir, tmp_path / "out", lists=links.lists, loans=loans)

    rules = result.accounts.set_index("account_id")["exit_rules"]
    assert {a for a, r in rules.items() if "two_interest_arrears" in r} == arrears
    assert rules[court_listed] == "blacklist"
    as_of = month.end_time.date().isoformat()
    for account, rule in [*((a, "two_interest_arrears") for a in sorted(arrears)), (court_listed, "blacklist")]:
        owner = str(owners.at[account, "owner_id_number"])
        [entry] = links.lists.entries(ListKind.BANK, identifier=(IdentifierKind.ID_NUMBER, owner))
        assert entry.source == f"exit rule: {rule}" and entry.active_at(datetime.now(UTC))
        assert f"account {account} " in entry.reason and as_of in entry.reason  # provenance: account, batch date
        assert entry.expires_at > datetime.now(UTC) + timedelta(days=4 * 365)  # the bank list's term
        assert [c.action for c in links.lists.changes(entry.entry_id)] == ["add"]  # the change is recorded
    for account in untouched:  # owners of accounts that met no rule stay off the bank's list
        owner = str(owners.at[account, "owner_id_number"])
        assert links.lists.entries(ListKind.BANK, identifier=(IdentifierKind.ID_NUMBER, owner)) == []
    frozen = loans.facility(facility_id=line.facility_id)
    assert (frozen.frozen, frozen.available) == (frozen.limit, 0)  # an exited account draws no more

    again = monitor_portfolio(portfolio_dir, tmp_path / "out2", lists=links.lists, loans=loans)
    assert list(again.accounts["exit_rules"]) == list(result.accounts["exit_rules"])
    assert len(links.lists.entries()) == len(links.lists.changes())  # a rerun lists no one twice: one add each

    # Scoring: the platform's list check (what the service decides on) finds the owner.
    exited_owner, clean_owner = _body(portfolio_dir, sorted(arrears)[-1]), _body(portfolio_dir, untouched[0])
    [listed, clean] = links.in_place_rows([(new_id("req"), exited_owner), (new_id("req"), clean_owner)])
    assert listed["blacklist_hit"] is True and clean["blacklist_hit"] is False
    answer = decide(listed, bundle)
    assert answer.decision == "reject" and "KO_BLACKLIST" in [r.id for r in answer.rules]
    assert "KO_BLACKLIST" not in [r.id for r in decide(clean, bundle).rules]


def test_the_exit_rules_on_a_constructed_book(tmp_path: Path, links: LinkStore, loans: LoanStore) -> None:
    """Each rule on its own: arrears at two month ends in a row (not one, not two apart), an owner
    on the courts' list (not the bank's own, not an expired listing), usury as found; an owner
    the book does not hold is counted, not listed."""
    months = {"A-TWO": [{}, {"dpd": 10}, {"dpd": 40}], "A-ONE": [{}, {}, {"dpd": 25}],
              "A-APART": [{"dpd": 5}, {}, {"dpd": 5}], "A-COURT": [{}, {}, {}], "A-OWN-LIST": [{}, {}, {}],
              "A-EXPIRED": [{}, {}, {}], "A-USURY": [{}, {}, {}], "A-NO-OWNER": [{}, {"dpd": 3}, {"dpd": 33}]}
    data = tmp_path / "data"
    data.mkdir()
    make_panel(months).to_parquet(data / "behavior_snapshots.parquet", index=False)
    ids = {a: f"11010119900307{i:04d}" for i, a in enumerate(months)}
    phones = {a: f"1381234{i:04d}" for i, a in enumerate(months)}
    pd.DataFrame({"application_id": [a for a in months if a != "A-NO-OWNER"],
                  "owner_id_number": [ids[a] for a in months if a != "A-NO-OWNER"],
                  "owner_phone": [phones[a] for a in months if a != "A-NO-OWNER"]}).to_parquet(
        data / "applications.parquet", index=False)
    now = datetime.now(UTC)
    links.lists.add(ListKind.COURT, IdentifierKind.PHONE, phones["A-COURT"], source="court", added_by="feed",
                    reason="r", at=now - timedelta(days=3))
    links.lists.add(ListKind.BANK, IdentifierKind.PHONE, phones["A-OWN-LIST"], source="fraud team", added_by="x",
                    reason="r", at=now - timedelta(days=3))
    links.lists.add(ListKind.PBOC, IdentifierKind.ID_NUMBER, ids["A-EXPIRED"], source="pboc", added_by="feed",
                    reason="r", at=now - timedelta(days=30), expires_at=now - timedelta(days=1))
    line = loans.open_facility(decision(), account_id="A-USURY")

    result = monitor_portfolio(data, tmp_path / "out", lists=links.lists, loans=loans, usury_accounts=["A-USURY"])

    rules = result.accounts.set_index("account_id")["exit_rules"].to_dict()
    assert rules == {"A-TWO": "two_interest_arrears", "A-ONE": "", "A-APART": "", "A-COURT": "blacklist",
                     "A-OWN-LIST": "", "A-EXPIRED": "", "A-USURY": "usury", "A-NO-OWNER": "two_interest_arrears"}
    bank = links.lists.entries(ListKind.BANK)
    listed = {(e.source, e.identifier_kind) for e in bank if e.source.startswith("exit rule")}
    assert listed == {(f"exit rule: {r}", k) for r in ("two_interest_arrears", "blacklist", "usury")
                      for k in (IdentifierKind.ID_NUMBER, IdentifierKind.PHONE)}
    assert all("2025-03-31" in e.reason for e in bank if e.source.startswith("exit rule"))
    assert loans.facility(facility_id=line.facility_id).available == 0
