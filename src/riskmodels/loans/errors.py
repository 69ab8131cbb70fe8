"""What the loan store refuses, each naming the field at fault and the rule it broke, so the
service answers a 4xx problem and the CLI one line: nothing is written when one is raised."""

from __future__ import annotations

from typing import Any


class LoanError(Exception):
    """A refused request: ``field`` (a body field or header) broke ``rule``; ``got`` the value."""

    def __init__(self, field: str, rule: str, got: Any = None) -> None:
        super().__init__(f"{field} {rule}" + (f"; got {got!r}" if got is not None else ""))
        self.field = field
        self.rule = rule
        self.got = got


class InvalidInput(LoanError):
    """A value outside its rule (422); ``more``: the other values of the same request outside
    theirs, so one answer names every field at fault."""

    def __init__(self, field: str, rule: str, got: Any = None, more: tuple[InvalidInput, ...] = ()) -> None:
        super().__init__(field, rule, got)
        self.more = more

    @classmethod
    def every(cls, problems: list[InvalidInput]) -> InvalidInput:
        """One error holding ``problems`` (at least one), the first in front."""
        first, *rest = problems
        return cls(first.field, first.rule, first.got, tuple(rest))


class UnknownReference(LoanError):
    """An id that names nothing here: no such decision or facility (404)."""


class Conflict(LoanError):
    """Against what is already recorded: a second outcome, a second facility, a reused id or
    idempotency key (409)."""


class Expired(Conflict):
    """A facility past its expiry date: nothing more is drawn on it (409)."""
