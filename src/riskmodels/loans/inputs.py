"""The rules of the values a caller gives the loan store: amounts in CNY (kept as whole fen) and
the officer named on an override, a freeze or a release."""

from __future__ import annotations

import re

from riskmodels.contract import MAX_CNY
from riskmodels.contract.tables import NOT_BLANK_PATTERN, NOT_BLANK_RULE
from riskmodels.loans.errors import InvalidInput

OFFICER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
OFFICER_RULE = "must be the officer's staff id or pseudonym: 1 to 64 letters, digits, '_', '.' or '-'"
_VISIBLE = re.compile(NOT_BLANK_PATTERN)


def to_fen(amount: float, field: str) -> int:
    """CNY to whole fen; ``InvalidInput`` naming ``field`` unless positive, at most the contract's
    largest amount and with at most 2 decimals."""
    if not 0 < amount <= MAX_CNY:  # NaN and infinity too
        raise InvalidInput(field, f"must be a positive amount (CNY) of at most {MAX_CNY:,.0f}", amount)
    fen = round(amount * 100)
    if abs(amount * 100 - fen) > 1e-6:
        raise InvalidInput(field, "must have at most 2 decimals (fen)", amount)
    return int(fen)


def check_officer(officer: str) -> None:
    if not OFFICER.fullmatch(officer):
        raise InvalidInput("officer", OFFICER_RULE, officer)


def is_visible(value: str) -> bool:
    """The contract's rule for ids and names: a payee or a reason made of blanks names no one."""
    return _VISIBLE.fullmatch(value) is not None


def check_visible(field: str, value: str) -> None:
    if not is_visible(value):
        raise InvalidInput(field, NOT_BLANK_RULE)
