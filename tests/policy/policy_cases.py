"""The applicants the policy tests vary: a clean restaurant, and the sources it may lack."""

from __future__ import annotations

from riskmodels.policy import ApplicationFacts

CLASS_PDS = {"A": 0.006, "B": 0.015, "C": 0.037, "D": 0.10}
NAN = float("nan")

# A restaurant with a clean file, every source present (the reference customer's figures).
CLEAN = ApplicationFacts(
    product="general_credit", requested_amount=150_000.0, requested_term_months=12.0, collateral_type="none",
    government_risk_sharing=False, blacklist_hit=False, registry_status="active", environmental_violation=False,
    eb_bad_record_3y=None, main_business_share=100.0, owner_financial_assets=180_000.0, pos_tenure_months=60.0,
    industry="catering", owner_age=46.0, years_in_business=8.0, owner_experience_years=20.0,
    account_tenure_months=72.0, pb_overdue_le30_24m=0.0, pb_max_dpd_24m=0.0, bureau_outstanding_debt=60_000.0,
    tax_arrears=0.0, tax_grade="B", tax_penalties=0.0, tax_mean_yearly=29_000.0, tax_sales_last_year=1_500_000.0,
    flow_mean_inflow=120_000.0, flow_annual_inflow=1_440_000.0, flow_in_out_ratio=1 / 0.92,
    flow_avg_daily_balance=15_000.0, flow_txn_count_12m=1_380.0, pos_volume_12m=825_000.0, pos_count_12m=9_700.0,
    pos_active_months=12.0,
    # not a platform's agent (seed 000's restaurant): the platform loan's source is absent
    platform_agent_months=NAN, platform_orders_12m=NAN, platform_max_order_gap_days=NAN, platform_max_month_share=NAN,
    platform_commissions_12m=NAN, platform_commission_forecast_12m=NAN,
)
NO_FLOW = {"flow_mean_inflow": NAN, "flow_annual_inflow": NAN, "flow_in_out_ratio": NAN,
           "flow_avg_daily_balance": NAN, "flow_txn_count_12m": NAN}
NO_TAX = {"tax_arrears": NAN, "tax_grade": None, "tax_penalties": NAN, "tax_mean_yearly": NAN,
          "tax_sales_last_year": NAN}
# An agent of 联通 on 沃易购 for three years (seed 002 §三(二)), ordering steadily.
AGENT = {"platform_agent_months": 36.0, "platform_orders_12m": 2_000_000.0, "platform_max_order_gap_days": 20.0,
         "platform_max_month_share": 0.12, "platform_commissions_12m": 400_000.0,
         "platform_commission_forecast_12m": 300_000.0}
NO_POS = {"pos_volume_12m": NAN, "pos_count_12m": NAN, "pos_active_months": NAN, "pos_tenure_months": NAN}
