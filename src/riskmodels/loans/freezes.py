"""Freezes of a facility's unused limit, by the early-warning batch or an officer, and their
release; the one writer of the frozen amount and of ``loan_freezes``. Both go through one path
(``freeze_row``), and each event is kept with who, why and the amount frozen after it; freezing
what is already frozen, or releasing what is not, writes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from riskmodels.contract.privacy import mask_numbers
from riskmodels.loans.errors import InvalidInput
from riskmodels.loans.facilities import facility_row
from riskmodels.loans.inputs import check_officer, check_visible
from riskmodels.loans.schema import facilities, freezes

if TYPE_CHECKING:
    import pandas as pd

    from riskmodels.loans.store import LoanStore

MAX_REASON = 500


class FreezeEvent(BaseModel):
    """One freeze or release of a facility's unused limit, as kept in ``loan_freezes``."""

    at: str
    action: Literal["freeze", "release"]
    frozen: float = Field(description="Amount frozen after the event, CNY")
    source: str = Field(description="Who or what acted: the early-warning batch of a date, or an officer's request")
    officer: str | None
    reason: str | None


class FreezeSummary(BaseModel):
    frozen: int = Field(description="Facilities whose unused limit was frozen now")
    already_frozen: int = Field(description="Facilities with nothing more to freeze")
    without_facility: int = Field(description="Warned accounts with no open facility in this store")


def check_actor(officer: str | None, reason: str | None) -> None:
    """An officer's freeze or release names its officer and reason, each within its rule."""
    if officer is not None:
        check_officer(officer)
    if reason is not None:
        if len(reason) > MAX_REASON:
            raise InvalidInput("reason", f"must be a text of at most {MAX_REASON} characters; got {len(reason)}")
        check_visible("reason", reason)


def freeze_accounts(conn: Connection, account_ids: Sequence[str], source: str, when: str) -> FreezeSummary:
    """Freeze the whole unused limit of each account's open facility; accounts without one are
    counted, not an error (the batch monitors the whole book)."""
    frozen, already, missing = 0, 0, 0
    for account_id in dict.fromkeys(account_ids):
        row = facility_row(conn, account_id=account_id, lock=True)
        if row is None or row["status"] != "open":
            missing += 1
            continue
        changed = freeze_row(conn, row, None, source, when, None, None)
        frozen, already = frozen + changed, already + (not changed)
    return FreezeSummary(frozen=frozen, already_frozen=already, without_facility=missing)


def freeze_row(conn: Connection, row: Mapping[str, Any], amount_fen: int | None, source: str, when: str,
               officer: str | None, reason: str | None) -> bool:
    """Freeze ``amount_fen`` more of ``row``'s unused limit (all of it when None), never past it;
    whether anything changed. The one path of the batch's freezes and an officer's."""
    unused, frozen = int(row["limit_fen"]) - int(row["drawn_fen"]), int(row["frozen_fen"])
    target = unused if amount_fen is None else min(unused, frozen + amount_fen)
    if target <= frozen:
        return False
    set_frozen(conn, row["facility_id"], target, "freeze", source, when, officer, reason)
    return True


def release_row(conn: Connection, row: Mapping[str, Any], source: str, when: str, officer: str | None,
                reason: str | None) -> Mapping[str, Any]:
    """Lift ``row``'s freeze; the row after. Nothing frozen: nothing written."""
    if int(row["frozen_fen"]) <= 0:
        return row
    set_frozen(conn, row["facility_id"], 0, "release", source, when, officer, reason)
    return {**row, "frozen_fen": 0}


def set_frozen(conn: Connection, facility_id: str, frozen_fen: int, action: str, source: str, when: str,
               officer: str | None = None, reason: str | None = None) -> None:
    conn.execute(facilities.update().where(facilities.c.facility_id == facility_id).values(frozen_fen=frozen_fen))
    # An officer's words are kept for people to read, but an ID or a phone number typed into
    # them ("客户来电 139...") is masked like everywhere else the platform stores text.
    conn.execute(freezes.insert().values(facility_id=facility_id, at=when, action=action, amount_fen=frozen_fen,
                                         source=source, officer=officer,
                                         reason=None if reason is None else mask_numbers(reason)))


def events_of(conn: Connection, facility_id: str) -> list[FreezeEvent]:
    """Every freeze and release of the facility, oldest first."""
    rows = conn.execute(sa.select(freezes).where(freezes.c.facility_id == facility_id)
                        .order_by(freezes.c.event_id)).mappings().all()
    return [FreezeEvent(at=r["at"], action=r["action"], frozen=int(r["amount_fen"]) / 100, source=r["source"],
                        officer=r["officer"], reason=r["reason"]) for r in rows]


def freeze_flagged(store: LoanStore, accounts: pd.DataFrame, as_of: date) -> FreezeSummary:
    """Freeze the unused limit of every account the early-warning batch flagged
    (``unused_limit_frozen``: a no-flow warning, seed 000 §七, or the B card's freeze action),
    written where the drawdown check reads it."""
    flagged = accounts.loc[accounts["unused_limit_frozen"].to_numpy(dtype=bool), "account_id"]
    return store.freeze_unused([str(a) for a in flagged], source=f"early-warning batch {as_of.isoformat()}")
