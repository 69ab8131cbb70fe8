"""Tax (银税互动): two years of tax paid and declared sales, grade, arrears and penalties."""

from __future__ import annotations

from riskmodels.features._arrays import Columns, Features, categorical, isnan, numeric, ratio, where

COLUMNS = (
    "tax_paid_y1", "tax_paid_y2", "declared_sales_y1", "declared_sales_y2",
    "tax_grade", "tax_arrears_3y", "tax_penalties_3y",
)
# Tax paid over sales assumed for a typical small taxpayer (the seeds' restaurant: 30,000 CNY on
# 1.5 M). Only a scale for people reading the feature: binning and trees are blind to it, so it
# is a named constant rather than a setting that would have to travel with every model.
NOMINAL_TAX_BURDEN = 0.02


def tax_features(cols: Columns) -> Features:
    last_year = numeric(cols, "tax_paid_y1")
    year_before = numeric(cols, "tax_paid_y2")
    # A taxpayer with one year on record gets that year as its mean rather than nothing.
    mean_yearly = where(
        isnan(year_before), last_year,
        where(isnan(last_year), year_before, (last_year + year_before) / 2),
    )
    sales = numeric(cols, "declared_sales_y1")
    return {
        "tax_mean_yearly": mean_yearly,
        "tax_growth": ratio(last_year - year_before, year_before),
        "tax_grade": categorical(cols, "tax_grade"),
        "tax_arrears": numeric(cols, "tax_arrears_3y"),
        "tax_penalties": numeric(cols, "tax_penalties_3y"),
        "tax_sales_last_year": sales,
        "tax_implied_revenue": last_year / NOMINAL_TAX_BURDEN,
        "tax_rate_on_sales": ratio(last_year, sales),
    }
