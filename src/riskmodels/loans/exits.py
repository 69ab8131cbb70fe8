"""Collection's exit rules (seed 002 §六(四)4; DOMAIN.md §3 step 5) in the early-warning batch:
an account that meets one is exited, and its owner goes on the bank's own list, with the rule,
the account and the batch's date as provenance (``Lists.add_from_exit_rule``).

- **Two interest arrears** (两次欠息): past due at the end of the monitored month and of the
  month before, i.e. two monthly payments of interest missed in a row.
- **Blacklist**: the owner is on the central bank's or the courts' list (失信被执行人) on the
  batch's date; the bank's own list then holds the owner with this account as its reason.
- **Usury** (高利贷): no source in the book shows it (an account manager finds it); the batch
  takes the accounts found as ``usury_accounts``.

Owners are read from the book's applications (an account's id is its application's id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels.links import ExitRule, ListKind, Lists

EXIT_COLUMNS = ("account_id", "rule", "evidence")
OWNER_COLUMNS = ("owner_id_number", "owner_phone")
SCREENED_LISTS = (ListKind.PBOC, ListKind.COURT)  # the bank's own list is where exits go, not a reason


@dataclass(frozen=True)
class ExitSummary:
    exits: pd.DataFrame  # EXIT_COLUMNS: one row per account and rule met
    accounts_listed: int  # accounts whose owner is on the bank's own list after the batch
    entries_added: int  # list entries added now (an owner already listed adds none)
    without_owner: int  # exited accounts whose owner's identifiers the book does not hold


def arrears_exits(snapshots: pd.DataFrame, month: pd.Period) -> pd.DataFrame:
    """Accounts past due at the end of ``month`` and of the month before (two interest arrears)."""
    periods = snapshots["snapshot_date"].dt.to_period("M")
    now = snapshots.loc[periods == month, ["account_id", "dpd"]]
    before = snapshots.loc[periods == month - 1, ["account_id", "dpd"]]
    both = now.merge(before, on="account_id", suffixes=("", "_before"))
    hit = both[(both["dpd"].to_numpy(dtype=float) > 0) & (both["dpd_before"].to_numpy(dtype=float) > 0)]
    evidence = ("past due at two month ends in a row: " + hit["dpd_before"].astype(int).astype(str) + " then "
                + hit["dpd"].astype(int).astype(str) + f" days (to {month})")
    return pd.DataFrame({"account_id": hit["account_id"].astype(str).to_numpy(),
                         "rule": ExitRule.TWO_INTEREST_ARREARS.value, "evidence": evidence.to_numpy(dtype=object)},
                        columns=list(EXIT_COLUMNS))


def blacklist_exits(owners: pd.DataFrame, lists: Lists, at: datetime) -> pd.DataFrame:
    """Accounts whose owner is on the central bank's or the courts' list at ``at``."""
    rows = [{c: _value(v) for c, v in zip(OWNER_COLUMNS, values, strict=True)}
            for values in owners[list(OWNER_COLUMNS)].itertuples(index=False, name=None)]
    listed = pd.Series(lists.listed(rows, at, SCREENED_LISTS), index=owners.index, dtype=bool)
    accounts = owners["account_id"][listed].astype(str).to_numpy()
    return pd.DataFrame({"account_id": accounts, "rule": ExitRule.BLACKLIST.value,
                         "evidence": f"owner on the {' or '.join(k.value for k in SCREENED_LISTS)} list on "
                                     f"{at:%Y-%m-%d}"}, columns=list(EXIT_COLUMNS))


def usury_exits(accounts: Iterable[str]) -> pd.DataFrame:
    found = [str(a) for a in dict.fromkeys(accounts)]
    return pd.DataFrame({"account_id": found, "rule": ExitRule.USURY.value,
                         "evidence": "usurious lending found by the account manager"}, columns=list(EXIT_COLUMNS))


def read_owners(data_dir: Path, account_ids: Iterable[str]) -> pd.DataFrame:
    """The owners' identifiers of ``account_ids`` from ``applications.parquet`` (account = application)."""
    path = Path(data_dir) / "applications.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"data must hold applications.parquet (the owners to list); not found in "
                                f"{str(data_dir)!r}")
    wanted = pd.Index([str(a) for a in account_ids]).unique()
    frame = pd.read_parquet(path, columns=["application_id", *OWNER_COLUMNS])
    frame = frame[frame["application_id"].astype(str).isin(wanted)]
    return frame.rename(columns={"application_id": "account_id"}).drop_duplicates("account_id").reset_index(drop=True)


def list_exits(lists: Lists, exits: pd.DataFrame, owners: pd.DataFrame, as_of: date,
               at: datetime | None = None) -> ExitSummary:
    """Put the owner of every exited account on the bank's own list (each change recorded in
    the lists' history, with the rule, the account and the batch's date)."""
    by_account = {str(values[0]): dict(zip(OWNER_COLUMNS, map(_value, values[1:]), strict=True))
                  for values in owners[["account_id", *OWNER_COLUMNS]].itertuples(index=False, name=None)}
    added, listed, missing = 0, set(), 0
    for account_id, rule in exits[["account_id", "rule"]].itertuples(index=False, name=None):
        row = by_account.get(str(account_id))
        if row is None or row["owner_id_number"] is None:
            missing += 1
            continue
        added += len(lists.add_from_exit_rule(ExitRule(rule), row, account_id=str(account_id), as_of=as_of, at=at))
        listed.add(account_id)
    return ExitSummary(exits=exits.reset_index(drop=True), accounts_listed=len(listed), entries_added=added,
                       without_owner=missing)


def _value(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
