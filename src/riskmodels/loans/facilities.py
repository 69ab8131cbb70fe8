"""Facilities: the credit line an approved decision opens, its term and what may still be drawn
on it; the one writer of new ``loan_facilities`` rows (draws and freezes update their amounts)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine

from riskmodels.audit import AuditRecord
from riskmodels.loans.errors import Conflict, UnknownReference
from riskmodels.loans.outcomes import APPROVED, RecordedOutcome
from riskmodels.loans.schema import day, facilities
from riskmodels.loans.terms import add_months, facility_term, requested_product
from riskmodels.policy.schema import Products

OPEN_RULE = "must name an open facility (POST /v1/facilities opens one from an approved decision)"


class Facility(BaseModel):
    """A credit line opened from an approved decision; amounts in CNY."""

    facility_id: str
    request_id: str = Field(description="The audited decision it was opened from")
    account_id: str | None
    opened_at: str
    product: str | None
    term_months: int | None
    rate: float | None = Field(description="Percent a year")
    limit: float
    drawn: float
    frozen: float = Field(description="Unused limit frozen by post-loan actions")
    available: float = Field(description="limit - drawn - frozen; 0 once the facility has expired")
    status: Literal["open", "closed"]
    expires_on: date | None = Field(description="Draws are taken before this date (opened_at plus term_months)")
    expired: bool = Field(description="Whether the facility was past its expiry date when this was answered")

    @classmethod
    def of(cls, row: Mapping[str, Any], today: date) -> Facility:
        limit, drawn, frozen = int(row["limit_fen"]), int(row["drawn_fen"]), int(row["frozen_fen"])
        expires = expires_on(row)
        expired = expires is not None and today >= expires
        return cls(facility_id=row["facility_id"], request_id=row["request_id"], account_id=row["account_id"],
                   opened_at=row["opened_at"], product=row["product"], term_months=row["term_months"],
                   rate=row["rate"], limit=limit / 100, drawn=drawn / 100, frozen=frozen / 100,
                   available=0.0 if expired else max(0, limit - drawn - frozen) / 100, status=row["status"],
                   expires_on=expires, expired=expired)


def expires_on(row: Mapping[str, Any]) -> date | None:
    """The facility's expiry date: as recorded, or, for a line opened before it was, its opening
    day plus its term (None when it has no term either)."""
    if row.get("expires_on"):
        return date.fromisoformat(str(row["expires_on"]))
    if row.get("term_months"):
        return add_months(datetime.fromisoformat(str(row["opened_at"])).date(), int(row["term_months"]))
    return None


def opening_row(record: AuditRecord, recorded: RecordedOutcome | None, account_id: str | None, opened: str,
                products: Products) -> dict[str, Any]:
    """The new facility row of ``record``: the officer's amount and rate when an outcome is
    ``recorded``, else the system's for an automatic approval or offer; ``Conflict`` otherwise.
    It lasts the requested term, at most the product's, from ``opened``."""
    if recorded is not None:
        if recorded.final != "approve":
            raise Conflict("decision_request_id", "must name an approved decision: the officer declined it",
                           record.request_id)
        limit_fen, rate = round((recorded.amount or 0) * 100), recorded.rate
    elif record.decision in APPROVED and record.limit_cny:
        limit_fen, rate = round(record.limit_cny * 100), record.rate
    elif record.decision == "review":
        raise Conflict("decision_request_id", "must have the officer's final decision first (POST "
                       "/v1/decisions/{request_id}/outcome): the system referred it to a person",
                       record.request_id)
    else:
        raise Conflict("decision_request_id", f"must name an approved decision; got {record.decision}", record.request_id)
    term = facility_term(record, products)
    return {"facility_id": uuid.uuid4().hex, "request_id": record.request_id, "account_id": account_id,
            "opened_at": opened, "product": requested_product(record),
            "term_months": term, "rate": rate, "limit_fen": limit_fen, "drawn_fen": 0, "frozen_fen": 0,
            "status": "open", "expires_on": add_months(day(opened), term).isoformat()}


def insert_facility(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(facilities.insert().values(**row))


def opening_conflict(engine: Engine, row: Mapping[str, Any]) -> Conflict:
    """Why ``row`` could not be inserted: its account or its decision has a facility already."""
    account_id = row["account_id"]
    taken = facility_row(engine, account_id=account_id) if account_id else None
    if taken is not None and taken["request_id"] != row["request_id"]:
        return Conflict("account_id", "must name one facility only: it names another decision's", account_id)
    return Conflict("decision_request_id", "must name a decision without an open facility: one is already open",
                    row["request_id"])


def facility_row(conn: Connection | Engine, *, facility_id: str | None = None, request_id: str | None = None,
                 account_id: str | None = None, lock: bool = False) -> dict[str, Any] | None:
    """The facility by its id, its decision's request id or its account (the first given);
    ``lock``: its row lock, held to the end of ``conn``'s transaction."""
    query = sa.select(facilities)
    if facility_id is not None:
        query = query.where(facilities.c.facility_id == facility_id)
    elif request_id is not None:
        query = query.where(facilities.c.request_id == request_id)
    else:
        query = query.where(facilities.c.account_id == account_id)
    if lock:
        query = query.with_for_update()
    if isinstance(conn, Engine):
        with conn.connect() as c:
            found = c.execute(query).mappings().first()
    else:
        found = conn.execute(query).mappings().first()
    return dict(found) if found is not None else None


def locked_facility(conn: Connection, facility_id: str) -> dict[str, Any]:
    """The facility's row, locked; ``UnknownReference`` when there is none."""
    row = facility_row(conn, facility_id=facility_id, lock=True)
    if row is None:
        raise UnknownReference("facility_id", "must name an open facility", facility_id)
    return row
