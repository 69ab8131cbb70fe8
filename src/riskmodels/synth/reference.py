"""The three reference customers of DOMAIN.md §1 as contract-valid application rows.

The figures the seed document gives (revenue, tax, flow, balance, inquiries, request) are
used as they are; everything else is filled in plausibly, the same way every time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskmodels.contract import APPLICATIONS, INDUSTRIES, MONTHS
from riskmodels.synth.identity import resident_ids_from
from riskmodels.synth.schema import frame
from riskmodels.synth.segments import seasonality

APPLICATION_DATE = np.datetime64("2025-01-15")
_LAG_MONTHS = 2025 * 12 + 0 - np.arange(1, MONTHS + 1)  # m01 = December 2024 ... m12 = January 2024
# A fixed month-to-month wiggle so the series do not look machine-made.
_WIGGLE = np.array([1.03, 0.98, 1.01, 0.96, 1.04, 0.99, 1.02, 0.97, 1.00, 1.03, 0.98, 0.99])
_NULL_SERIES = [np.nan] * MONTHS


def _monthly(mean: float, industry: str, wiggle: np.ndarray = _WIGGLE) -> list[float]:
    """Twelve months (m01 first) averaging ``mean``, with the industry's seasonality."""
    season = seasonality(_LAG_MONTHS, np.full(MONTHS, INDUSTRIES.index(industry))) * wiggle
    return list(np.round(mean * season / season.mean(), 2))


def _flow(mean_inflow: float, industry: str, margin: float, ticket: float, balance: float,
          wiggle: np.ndarray = _WIGGLE) -> dict[str, object]:
    inflow = _monthly(mean_inflow, industry, wiggle)
    out: dict[str, object] = {"avg_daily_balance": balance, "max_single_inflow": round(max(inflow) * 0.3, -2)}
    for m in range(MONTHS):
        out[f"inflow_m{m + 1:02d}"] = inflow[m]
        out[f"outflow_m{m + 1:02d}"] = round(inflow[m] * margin, 2)
        out[f"txn_count_m{m + 1:02d}"] = round(inflow[m] * (1 + margin) / ticket)
    return out


def _pos(mean_volume: float | None, industry: str, ticket: float = 85.0) -> dict[str, object]:
    volume = _monthly(mean_volume, industry) if mean_volume else _NULL_SERIES
    out: dict[str, object] = {"pos_tenure_months": 60 if mean_volume else np.nan}
    for m in range(MONTHS):
        out[f"pos_volume_m{m + 1:02d}"] = volume[m]
        out[f"pos_count_m{m + 1:02d}"] = round(volume[m] / ticket) if mean_volume else np.nan
    return out


# None of the three sells for a platform (seed 002 §三): the platform source is absent.
_NO_PLATFORM = {c.name: np.nan for c in APPLICATIONS.by_source("platform")}
# Nor does the seed give their device or address: left null, the optional identifiers are
# not sent (the service then links them by ID number and phone only).
_NO_IDENTIFIERS = {c.name: None for c in APPLICATIONS.by_source("identity")}
_CLEAN_ENTERPRISE = {"eb_overdue_24m": 0, "eb_max_dpd_24m": 0, "eb_bad_record_3y": 0.0}
_NO_ENTERPRISE = {k: np.nan for k in ("eb_overdue_24m", "eb_max_dpd_24m", "eb_bad_record_3y", "eb_lenders",
                                      "eb_outstanding_debt")}

LAOWANG = {
    "application_id": "REF-LAOWANG", "business_name": "老王家常菜", "owner_phone": "13912345678",
    "id_parts": (110105, "1978-05-12", 231),  # 王建国
    "entity_type": 0, "industry": INDUSTRIES.index("catering"), "years_in_business": 8.0, "employees": 12,
    "registry_status": 0, "environmental_violation": False, "account_tenure_months": 72, "main_business_share": 100.0,
    "owner_age": 46, "owner_experience_years": 20.0, "owner_local_resident": True, "owner_has_property": True,
    "owner_financial_assets": 180_000.0, "owner_private_banking": False,
    **_flow(120_000, "catering", 0.92, 2_000, 15_000),
    "tax_paid_y1": 30_000.0, "tax_paid_y2": 28_000.0, "declared_sales_y1": 1_500_000.0,
    # Grade A: the seed's "clean file" (steady tax, no arrears or penalties); it gives no grade.
    "declared_sales_y2": 1_420_000.0, "tax_grade": 0, "tax_arrears_3y": 0.0, "tax_penalties_3y": 0,
    **_pos(1_500_000 * 0.55 / 12, "catering"),
    "pb_overdue_le30_24m": 0, "pb_max_dpd_24m": 0, "pb_months_since_overdue": -1, "pb_inquiries_3m": 2,
    "pb_inquiries_6m": 2, "pb_lenders": 1, "pb_outstanding_debt": 60_000.0, **_NO_ENTERPRISE,
    "phone_tenure_months": 120, "address_stability_months": 96, "device_shared_count": 0, "phone_shared_count": 0,
    "address_shared_count": 0, "applications_7d": 0, "applications_30d": 1, "blacklist_hit": False,
    "declared_annual_revenue": 1_500_000.0, "lawsuits_3y": 0, "enforcements_3y": 0,
    "product": 0, "requested_amount": 150_000.0, "requested_term_months": 12, "purpose": 1,
    "collateral_type": 0, "collateral_value": np.nan, "government_risk_sharing": False,
}

# Project payments arrive in lumps: a tech firm's months are far from even.
_LUMPY = np.array([1.9, 0.4, 0.7, 1.5, 0.3, 0.8, 1.6, 0.5, 0.9, 1.4, 0.6, 1.1])
SHENDU = {
    "application_id": "REF-SHENDU", "business_name": "深度视觉科技有限公司", "owner_phone": "18612345601",
    "id_parts": (440305, "1989-09-03", 418),
    "entity_type": 2, "industry": INDUSTRIES.index("technology"), "years_in_business": 4.5, "employees": 20,
    "registry_status": 0, "environmental_violation": False, "account_tenure_months": 36, "main_business_share": 95.0,
    "owner_age": 35, "owner_experience_years": 10.0, "owner_local_resident": False, "owner_has_property": False,
    "owner_financial_assets": 400_000.0, "owner_private_banking": False,
    **_flow(480_000, "technology", 0.96, 30_000, 600_000, _LUMPY),
    "tax_paid_y1": 224_000.0, "tax_paid_y2": 164_000.0, "declared_sales_y1": 5_600_000.0,
    "declared_sales_y2": 4_100_000.0, "tax_grade": 0, "tax_arrears_3y": 0.0, "tax_penalties_3y": 0,
    **_pos(None, "technology"),
    "pb_overdue_le30_24m": 0, "pb_max_dpd_24m": 0, "pb_months_since_overdue": -1, "pb_inquiries_3m": 1,
    "pb_inquiries_6m": 2, "pb_lenders": 1, "pb_outstanding_debt": 30_000.0,
    **_CLEAN_ENTERPRISE, "eb_lenders": 1, "eb_outstanding_debt": 500_000.0,
    "phone_tenure_months": 84, "address_stability_months": 30, "device_shared_count": 0, "phone_shared_count": 0,
    "address_shared_count": 2, "applications_7d": 0, "applications_30d": 1, "blacklist_hit": False,
    "declared_annual_revenue": 6_000_000.0, "lawsuits_3y": 1, "enforcements_3y": 0,
    "product": 0, "requested_amount": 800_000.0, "requested_term_months": 24, "purpose": 3,
    "collateral_type": 0, "collateral_value": np.nan, "government_risk_sharing": False,
}

JINGCHENG = {
    "application_id": "REF-JINGCHENG", "business_name": "精诚零部件加工厂", "owner_phone": "13587654321",
    "id_parts": (330106, "1972-11-20", 157),
    "entity_type": 2, "industry": INDUSTRIES.index("manufacturing"), "years_in_business": 11.0, "employees": 45,
    "registry_status": 0, "environmental_violation": False, "account_tenure_months": 96, "main_business_share": 90.0,
    "owner_age": 52, "owner_experience_years": 28.0, "owner_local_resident": True, "owner_has_property": True,
    "owner_financial_assets": 900_000.0, "owner_private_banking": False,
    **_flow(700_000, "manufacturing", 0.93, 50_000, 250_000),
    "tax_paid_y1": 255_000.0, "tax_paid_y2": 240_000.0, "declared_sales_y1": 8_500_000.0,
    "declared_sales_y2": 8_000_000.0, "tax_grade": 1, "tax_arrears_3y": 0.0, "tax_penalties_3y": 0,
    **_pos(None, "manufacturing"),
    "pb_overdue_le30_24m": 1, "pb_max_dpd_24m": 12, "pb_months_since_overdue": 14, "pb_inquiries_3m": 0,
    "pb_inquiries_6m": 1, "pb_lenders": 2, "pb_outstanding_debt": 400_000.0,
    **_CLEAN_ENTERPRISE, "eb_lenders": 2, "eb_outstanding_debt": 1_200_000.0,
    "phone_tenure_months": 180, "address_stability_months": 120, "device_shared_count": 0, "phone_shared_count": 0,
    "address_shared_count": 1, "applications_7d": 0, "applications_30d": 0, "blacklist_hit": False,
    "declared_annual_revenue": 9_000_000.0, "lawsuits_3y": 0, "enforcements_3y": 0,
    "product": 0, "requested_amount": 350_000.0, "requested_term_months": 36, "purpose": 2,
    "collateral_type": 1, "collateral_value": 500_000.0, "government_risk_sharing": False,
}


def reference_applications() -> pd.DataFrame:
    """老王家常菜, 深度视觉科技有限公司 and 精诚零部件加工厂, one application row each."""
    customers = (LAOWANG, SHENDU, JINGCHENG)
    values: dict[str, np.ndarray] = {}
    for name in APPLICATIONS.names:
        if name == "application_date":
            values[name] = np.repeat(APPLICATION_DATE, len(customers))
        elif name == "owner_id_number":
            region, birth, sequence = zip(*(c["id_parts"] for c in customers), strict=True)
            values[name] = resident_ids_from(np.array(region), np.array(birth, dtype="datetime64[D]"),
                                             np.array(sequence))
        else:
            values[name] = np.array([{**_NO_PLATFORM, **_NO_IDENTIFIERS, **c}[name] for c in customers], dtype=object)
    return frame(APPLICATIONS, values)


def _json_value(dtype: str, value: object) -> object:
    """A contract value as the API's JSON: null, bool, int, float, ISO date or text."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if dtype == "date":
        date = getattr(value, "date", None)
        return date().isoformat() if callable(date) else str(value)
    if dtype == "bool":
        return bool(value)
    if dtype == "int":
        return int(value)  # type: ignore[call-overload]  # a contract int column holds numbers
    if dtype == "float":
        return float(value)  # type: ignore[arg-type]  # a contract float column holds numbers
    return str(value)


def reference_bodies() -> dict[str, dict[str, object]]:
    """The three reference customers as JSON bodies of ``POST /v1/score/application``, by name
    (``laowang``, in name order): flat contract columns, dates as ISO strings, missing as null.
    ``data/reference/*.json`` are these bodies written out; an installed wheel has them too."""
    bodies = {}
    for row in reference_applications().to_dict(orient="records"):
        body = {c.name: _json_value(c.dtype, row[c.name]) for c in APPLICATIONS.columns}
        bodies[str(body["application_id"]).removeprefix("REF-").lower()] = body
    return dict(sorted(bodies.items()))
