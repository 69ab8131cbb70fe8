"""A facility's term and expiry: a credit line lasts the decision's requested term, at most its
product's ``max_term_months`` in the lending policy (the product's maximum when no term was
requested), from the day it is opened. On and after its expiry date nothing more is drawn."""

from __future__ import annotations

import calendar
from datetime import date

from riskmodels.audit import AuditRecord
from riskmodels.policy.schema import Products

DEFAULT_PRODUCT = "general_credit"  # a decision without a requested product lends the general line
# The application contract's columns a line's product and term come from (``contract.tables``).
PRODUCT_COLUMN, TERM_COLUMN = "product", "requested_term_months"


def requested_product(record: AuditRecord) -> str | None:
    """The product the audited application asked for (None: not given)."""
    value = record.input_masked.get(PRODUCT_COLUMN)
    return str(value) if value else None


def product_of(record: AuditRecord) -> str:
    """The policy product whose terms the line of ``record`` lends on."""
    name = requested_product(record) or DEFAULT_PRODUCT
    return name if name in Products.model_fields else DEFAULT_PRODUCT


def product_cap(record: AuditRecord, products: Products) -> tuple[str, float]:
    """(the product, its largest amount in CNY): no line of it lends more, an officer's neither."""
    name = product_of(record)
    return name, float(getattr(products, name).cap)


def facility_term(record: AuditRecord, products: Products) -> int:
    """Months the line of ``record`` lasts: the requested term, capped by the product's maximum."""
    longest = int(getattr(products, product_of(record)).max_term_months)
    requested = record.input_masked.get(TERM_COLUMN)
    if isinstance(requested, int | float) and not isinstance(requested, bool) and requested >= 1:
        return min(int(requested), longest)
    return longest


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's last (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def expiry_rule(expires_on: date, opened_on: date, term_months: int | None) -> str:
    """The rule a draw after expiry breaks, with the dates that make it."""
    term = f" for {term_months} months" if term_months is not None else ""
    return (f"must name a facility within its term (draws are taken before its expiry date); it was opened "
            f"{opened_on.isoformat()}{term} and expired on {expires_on.isoformat()}")
