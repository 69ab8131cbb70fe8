"""``riskmodels monitor portfolio`` applies collection's exit rules through the CLI: on a small
book, the owners of the accounts exited (two interest arrears, an owner on the courts' list, a
``--usury-account``) are on the bank's own list afterwards (``riskmodels lists show``), each with
its rule and account, and their lines are frozen; the others are not listed, and a rerun
lists no one twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.config import get_settings
from riskmodels.loans import LoanStore
from tests.loans.conftest import decision
from tests.monitoring.conftest import make_panel

runner = CliRunner()
PSEUDONYM_KEY = "cli-exit-lists-" + "0" * 40
# account -> (owner's ID number, its mask as printed, owner's phone)
OWNERS = {"ACC-ARREARS": ("110101199003071234", "110101********1234", "13812340001"),
          "ACC-COURT": ("320102198512120987", "320102********0987", "13812340002"),
          "ACC-USURY": ("440305197707074321", "440305********4321", "13812340003"),
          "ACC-HEALTHY": ("510104199911115678", "510104********5678", "13812340004"),
          "ACC-ONE-ARREAR": ("330106198808086543", "330106********6543", "13812340005")}


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Three months of five accounts and their applications; the stores on disk, configured."""
    data = tmp_path / "data"
    data.mkdir()
    late = {"dpd": 15, "worst_dpd_3m": 15}
    make_panel({"ACC-ARREARS": [{}, late, late], "ACC-COURT": [{}, {}, {}], "ACC-USURY": [{}, {}, {}],
                "ACC-HEALTHY": [{}, {}, {}], "ACC-ONE-ARREAR": [late, {}, late]}).to_parquet(
        data / "behavior_snapshots.parquet", index=False)
    pd.DataFrame({"application_id": list(OWNERS), "owner_id_number": [o[0] for o in OWNERS.values()],
                  "owner_phone": [o[2] for o in OWNERS.values()]}).to_parquet(data / "applications.parquet",
                                                                              index=False)
    for name, value in (("RISKMODELS_HOME", str(tmp_path / "home")), ("RISKMODELS_PSEUDONYM_KEY", PSEUDONYM_KEY),
                        ("RISKMODELS_LINK_STORE_URL", f"sqlite:///{tmp_path / 'links.sqlite'}"),
                        ("RISKMODELS_LOAN_STORE_URL", f"sqlite:///{tmp_path / 'loans.sqlite'}")):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_batch_lists_the_exited_owners_on_the_bank_list(book: Path, tmp_path: Path) -> None:
    invoke("lists", "add", "--list", "court", "--phone", OWNERS["ACC-COURT"][2], "--source", "(2025)沪01执77号",
           "--by", "court-feed", "--reason", "失信被执行人")
    loans = LoanStore.from_settings()
    line = loans.open_facility(decision(), account_id="ACC-USURY")
    batch = ["monitor", "portfolio", "--data", str(book), "--out", str(tmp_path / "out"), "--no-b-card",
             "--usury-account", "ACC-USURY", "--usury-account", "ACC-NOT-IN-BOOK"]
    out = invoke(*batch)
    assert "5 accounts" in out and "3 exited" in out
    try:  # an exited account draws no more: its unused limit is frozen in the loan store
        assert loans.facility(facility_id=line.facility_id).available == 0
    finally:
        loans.close()

    listed = invoke("lists", "show", "--list", "bank").splitlines()
    assert listed[-1] == "6 active entries"  # each exited owner by ID number and by phone
    for account, rule in (("ACC-ARREARS", "two_interest_arrears"), ("ACC-COURT", "blacklist"),
                          ("ACC-USURY", "usury")):
        id_number, id_masked, phone = OWNERS[account]
        lines = [x for x in listed if id_masked in x or f"138****{phone[-4:]}" in x]
        assert len(lines) == 2 and all(f"source: exit rule: {rule}" in x and f"account {account} " in x
                                       for x in lines), lines
        assert not any(id_number in x or phone in x for x in lines)  # shown masked only
    for account in ("ACC-HEALTHY", "ACC-ONE-ARREAR"):  # no rule met: one arrear is not two in a row
        assert invoke("lists", "show", "--list", "bank", "--id-number", OWNERS[account][0]).strip() == \
            "0 active entries"

    invoke(*batch)  # a rerun: the owners are listed already, nothing is added
    assert invoke("lists", "show", "--list", "bank").splitlines()[-1] == "6 active entries"


def test_a_book_without_its_applications_and_an_empty_usury_account_are_refused(book: Path, tmp_path: Path) -> None:
    empty = runner.invoke(app, ["monitor", "portfolio", "--data", str(book), "--out", str(tmp_path / "out"),
                                "--no-b-card", "--usury-account", " "])
    assert empty.exit_code == 2 and "--usury-account must name an account id" in empty.output
    (book / "applications.parquet").unlink()
    missing = runner.invoke(app, ["monitor", "portfolio", "--data", str(book), "--out", str(tmp_path / "out"),
                                  "--no-b-card"])
    assert missing.exit_code == 2 and "--data must hold applications.parquet" in missing.output
