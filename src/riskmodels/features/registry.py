"""Business registry (工商), the owner, and the request itself.

The request features (``req_*``) are for the policy (limits, exceptions); the catalogue keeps
them out of the model feature lists, since a model that learns from the amount asked for
learns the bank's past decisions rather than the borrower.
"""

from __future__ import annotations

from riskmodels.features._arrays import Columns, Features, Value, categorical, numeric, ratio

COLUMNS = (
    "years_in_business", "entity_type", "industry", "employees", "account_tenure_months",
    "owner_age", "owner_experience_years", "owner_local_resident", "owner_has_property",
    "requested_amount", "requested_term_months",
)


def registry_features(cols: Columns, annual_revenue: Value) -> Features:
    amount = numeric(cols, "requested_amount")
    return {
        "years_in_business": numeric(cols, "years_in_business"),
        "entity_type": categorical(cols, "entity_type"),
        "industry": categorical(cols, "industry"),
        "employees": numeric(cols, "employees"),
        "owner_age": numeric(cols, "owner_age"),
        "owner_experience_years": numeric(cols, "owner_experience_years"),
        "owner_local_resident": numeric(cols, "owner_local_resident"),
        "owner_has_property": numeric(cols, "owner_has_property"),
        "account_tenure_months": numeric(cols, "account_tenure_months"),
        "req_amount": amount,
        "req_term_months": numeric(cols, "requested_term_months"),
        "req_amount_to_revenue": ratio(amount, annual_revenue),
    }
