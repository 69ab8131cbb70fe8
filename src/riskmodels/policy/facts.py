"""What the policy reads about one application: raw contract fields and model features.

Features come from ``riskmodels.features`` (the same code as the models), raw fields from the
application itself for what no feature carries (blacklist, registry status, the request).
Missing numbers are NaN and missing flags None, whatever the caller sent (None, NaN, pd.NA).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from pandas import NA as _NA  # a null of a nullable pandas column (one object, no pandas work)

NAN = float("nan")


def number(value: Any) -> float:
    """A float, NaN when missing (None, NaN, pd.NA)."""
    if value is None or value is _NA:
        return NAN
    return float(value)


def flag(value: Any) -> bool | None:
    """True, False or None (unknown: the source is missing)."""
    if value is None or value is _NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return bool(value)


def text(value: Any) -> str | None:
    if value is None or value is _NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    """Everything the policy needs, named as in the contract (raw) or the feature catalogue."""

    # the request (raw)
    product: str | None
    requested_amount: float
    requested_term_months: float
    collateral_type: str | None
    government_risk_sharing: bool | None
    # registry, owner, anti-fraud, enterprise bureau (raw)
    blacklist_hit: bool | None
    registry_status: str | None
    environmental_violation: bool | None
    eb_bad_record_3y: bool | None
    main_business_share: float
    owner_financial_assets: float
    pos_tenure_months: float
    # the platform the business sells for (seed 002 §三(二)), NaN when it is no platform's agent
    platform_agent_months: float
    platform_orders_12m: float
    platform_max_order_gap_days: float
    platform_max_month_share: float
    platform_commissions_12m: float
    platform_commission_forecast_12m: float
    # features
    industry: str | None
    owner_age: float
    years_in_business: float
    owner_experience_years: float
    account_tenure_months: float
    pb_overdue_le30_24m: float
    pb_max_dpd_24m: float
    bureau_outstanding_debt: float
    tax_arrears: float
    tax_grade: str | None
    tax_penalties: float
    tax_mean_yearly: float
    tax_sales_last_year: float
    flow_mean_inflow: float
    flow_annual_inflow: float
    flow_in_out_ratio: float
    flow_avg_daily_balance: float
    flow_txn_count_12m: float
    pos_volume_12m: float
    pos_count_12m: float
    pos_active_months: float

    @property
    def annual_sales(self) -> float:
        """Last year's sales: the largest figure any source shows (sales declared to the tax
        bureau, the account's annual inflow, POS acquiring volume, and a platform agent's orders,
        which it resells), NaN when none is known.
        Each source understates a small business's sales, and the largest is the only choice
        under which withholding a source never raises the debt-to-sales cap (preferring the
        declared figure fell back to a larger inflow when tax data was withheld)."""
        known = [v for v in (self.tax_sales_last_year, self.flow_annual_inflow, self.pos_volume_12m,
                             self.platform_orders_12m) if not math.isnan(v)]
        return max(known) if known else NAN

    @property
    def monthly_net_flow(self) -> float:
        """Mean monthly inflow minus outflow, from the flow features (NaN without flow data).

        ``flow_in_out_ratio`` is mean inflow over mean outflow, NaN when there is no outflow.
        """
        inflow, ratio = self.flow_mean_inflow, self.flow_in_out_ratio
        if math.isnan(inflow):
            return NAN
        if math.isnan(ratio):  # no outflow at all: every credit stays
            return inflow
        if ratio <= 0:  # no inflow, some outflow: nothing left to service a debt
            return 0.0
        return inflow - inflow / ratio


RAW_FIELDS = ("product", "requested_amount", "requested_term_months", "collateral_type",
              "government_risk_sharing", "blacklist_hit", "registry_status", "environmental_violation",
              "eb_bad_record_3y", "main_business_share", "owner_financial_assets", "pos_tenure_months",
              "platform_agent_months", "platform_orders_12m", "platform_max_order_gap_days", "platform_max_month_share",
              "platform_commissions_12m", "platform_commission_forecast_12m")
FEATURE_FIELDS = tuple(f.name for f in fields(ApplicationFacts) if f.name not in RAW_FIELDS)
# The facts read as text and as yes/no flags; every other one is a number.
TEXT_FIELDS = frozenset({"product", "collateral_type", "registry_status", "industry", "tax_grade"})
FLAG_FIELDS = frozenset({"government_risk_sharing", "blacklist_hit", "environmental_violation", "eb_bad_record_3y"})
CONVERTERS = {f.name: text if f.name in TEXT_FIELDS else flag if f.name in FLAG_FIELDS else number
              for f in fields(ApplicationFacts)}


# Every field in the dataclass's order: (name, converter, read from the features?).
_FIELDS = tuple((f.name, CONVERTERS[f.name], f.name not in RAW_FIELDS) for f in fields(ApplicationFacts))


def facts_from(application: Mapping[str, Any], features: Mapping[str, Any]) -> ApplicationFacts:
    """The policy's view of one application (its raw fields) and its features."""
    values: list[Any] = []  # each converted to its field's type by CONVERTERS
    for name, convert, is_feature in _FIELDS:  # positional: no keyword dict per application
        if not is_feature:
            values.append(convert(application.get(name)))
        elif name in features:
            values.append(convert(features[name]))
        else:
            raise ValueError(f"features must include {name!r} (see riskmodels.features); got none")
    return ApplicationFacts(*values)
