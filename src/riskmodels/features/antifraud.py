"""Anti-fraud (反欺诈): identity tenure, linkage to other applicants, velocity, consistency."""

from __future__ import annotations

from riskmodels.features._arrays import Columns, Features, Value, numeric, ratio

COLUMNS = (
    "phone_tenure_months", "address_stability_months", "device_shared_count", "phone_shared_count",
    "address_shared_count", "applications_7d", "applications_30d", "declared_annual_revenue",
)


def antifraud_features(cols: Columns, annual_revenue: Value) -> Features:
    """``annual_revenue`` is the best observed annual revenue: the check on what was declared."""
    return {
        "af_phone_tenure_months": numeric(cols, "phone_tenure_months"),
        "af_address_stability_months": numeric(cols, "address_stability_months"),
        "af_device_shared": numeric(cols, "device_shared_count"),
        "af_phone_shared": numeric(cols, "phone_shared_count"),
        "af_address_shared": numeric(cols, "address_shared_count"),
        "af_applications_7d": numeric(cols, "applications_7d"),
        "af_applications_30d": numeric(cols, "applications_30d"),
        "af_declared_vs_observed_revenue": ratio(numeric(cols, "declared_annual_revenue"), annual_revenue),
    }
