"""Credit bureau (征信): the owner's personal report and, when it exists, the enterprise's."""

from __future__ import annotations

from riskmodels.features._arrays import Columns, Features, Value, null_as_zero, numeric, ratio

COLUMNS = (
    "pb_overdue_le30_24m", "pb_max_dpd_24m", "pb_months_since_overdue", "pb_inquiries_3m",
    "pb_inquiries_6m", "pb_lenders", "pb_outstanding_debt",
    "eb_overdue_24m", "eb_max_dpd_24m", "eb_lenders", "eb_outstanding_debt",
)


def bureau_features(cols: Columns, annual_revenue: Value) -> Features:
    """``annual_revenue`` is the best observed annual revenue (see ``observed_annual_revenue``)."""
    # Totals run over the reports that exist: an individual business has no enterprise report,
    # its borrowing is all in the owner's personal one, so a missing enterprise file adds nothing.
    debt = numeric(cols, "pb_outstanding_debt") + null_as_zero(numeric(cols, "eb_outstanding_debt"))
    return {
        "pb_overdue_le30_24m": numeric(cols, "pb_overdue_le30_24m"),
        "pb_max_dpd_24m": numeric(cols, "pb_max_dpd_24m"),
        "pb_months_since_overdue": numeric(cols, "pb_months_since_overdue"),  # -1: never overdue
        "bureau_inquiries_3m": numeric(cols, "pb_inquiries_3m"),
        "bureau_inquiries_6m": numeric(cols, "pb_inquiries_6m"),
        "bureau_lenders": numeric(cols, "pb_lenders") + null_as_zero(numeric(cols, "eb_lenders")),
        "bureau_outstanding_debt": debt,
        "bureau_debt_to_revenue": ratio(debt, annual_revenue),
        "eb_overdue_24m": numeric(cols, "eb_overdue_24m"),
        "eb_max_dpd_24m": numeric(cols, "eb_max_dpd_24m"),
    }
