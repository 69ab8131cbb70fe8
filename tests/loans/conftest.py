"""The loan store on both backends: embedded SQLite, and a real PostgreSQL server (``postgres_url``,
tests/_postgres.py). PostgreSQL's database is shared by the session, so every test names its
own decisions and accounts (``new_id``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from riskmodels.audit import AuditRecord
from riskmodels.loans import LoanStore
from riskmodels.stores import open_engine

KEY = b"loans-test-key-0123456789abcdef0123456789"


def new_id(prefix: str = "req") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def decision(decision: str = "offer", limit: float | None = 180_000.0, rate: float | None = 4.5,
             risk_class: str = "B", request_id: str | None = None, **inputs: Any) -> AuditRecord:
    """An audited application decision as the audit log returns it (seed 000's restaurant by default)."""
    return AuditRecord(request_id=request_id or new_id(), created_at="2025-03-01T00:00:00+00:00",
                       endpoint="application", key_id=None, input_hmac=None, models={"sme-application-scorecard": "1"},
                       score=78.0, risk_class=risk_class, limit_cny=limit, rate=rate, decision=decision,
                       input_masked={"product": "general_credit", "requested_term_months": 12, **inputs})


def store_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    return f"sqlite:///{tmp_path / 'loans.sqlite'}" if kind == "sqlite" else str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LoanStore]:
    loans = LoanStore(open_engine(store_url(request.param, tmp_path, request)), KEY)
    yield loans
    loans.close()
