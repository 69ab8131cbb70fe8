"""Tax (银税互动), credit bureau (征信) and judicial (司法) records, driven by the latent factors."""

from __future__ import annotations

import numpy as np

from riskmodels.contract import ENTITY_TYPES, TAX_GRADES
from riskmodels.synth.latent import Chunk, sigmoid
from riskmodels.synth.segments import profile_array

# Share of applicants who do not authorise the tax query, by legal form.
TAX_MISSING = np.array([0.35, 0.15, 0.08])
# Share without an enterprise bureau file, by legal form (individual businesses rarely have one).
ENTERPRISE_FILE_MISSING = np.array([0.92, 0.45, 0.10])


def add_tax(chunk: Chunk) -> None:
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    health, integrity, years = h["health"], h["integrity"], h["years"]
    missing_p = TAX_MISSING[h["entity"]] + 0.05 * (integrity < -1) + 0.75 * chunk.config.thin_file_shift
    present = rng.random(n) >= missing_p
    h["has_tax"] = present

    # Under-reporting of sales, worse for less honest owners.
    reported = np.clip(0.85 + 0.10 * integrity + 0.06 * rng.standard_normal(n), 0.3, 1.05)
    sales_y1 = h["monthly_revenue"].sum(axis=1) * reported
    growth = np.exp(12 * h["slope"] + 0.1 * rng.standard_normal(n))
    # Firms younger than two years have no (or only part of a) previous tax year.
    sales_y2 = sales_y1 / growth * np.clip(years - 1, 0, 1)
    rate = profile_array("tax_rate")[h["industry"]]
    # Income tax follows profit and VAT the value added: profitable firms pay more per unit of sales.
    burden = rate * np.exp(0.25 * health)
    tax_y1 = sales_y1 * burden * np.exp(0.12 * rng.standard_normal(n))
    tax_y2 = sales_y2 * burden * np.exp(0.12 * rng.standard_normal(n))

    arrears = rng.random(n) < sigmoid(-3.2 - 0.9 * integrity - 0.6 * health)
    penalties = rng.poisson(np.exp(-2.8 - 0.8 * integrity - 0.5 * health))
    score = 0.9 * integrity + 0.5 * health + 0.25 * rng.standard_normal(n) - 0.5 * arrears - 0.4 * penalties
    grade_of = TAX_GRADES.index
    grade = np.select([score > 0.55, score > -0.75, score > -1.7], [grade_of("A"), grade_of("B"), grade_of("C")],
                      default=grade_of("D"))
    grade = np.where(years < 1.5, grade_of("M"), grade)  # new taxpayers are graded M
    h["tax_grade"] = np.where(present, grade, -1)

    def keep(values: np.ndarray) -> np.ndarray:
        return np.where(present, np.round(values, 2), np.nan)

    c["tax_paid_y1"], c["tax_paid_y2"] = keep(tax_y1), keep(tax_y2)
    c["declared_sales_y1"], c["declared_sales_y2"] = keep(sales_y1), keep(sales_y2)
    c["tax_grade"] = np.where(present, grade, -1)  # -1 = null category
    c["tax_arrears_3y"] = np.where(present, arrears.astype(float), np.nan)
    c["tax_penalties_3y"] = np.where(present, np.minimum(penalties, 100), np.nan)


def add_bureau(chunk: Chunk) -> None:
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    health, integrity, appetite = h["health"], h["integrity"], h["appetite"]
    size = np.log(h["revenue"] / 1e6)

    lenders = rng.poisson(np.exp(0.1 + 0.45 * appetite + 0.1 * size))
    c["pb_lenders"] = np.minimum(lenders, 100)
    inq_3m = rng.poisson(np.exp(-0.1 + 0.6 * appetite))
    c["pb_inquiries_3m"] = np.minimum(inq_3m, 200)
    c["pb_inquiries_6m"] = np.minimum(inq_3m + rng.poisson(np.exp(-0.2 + 0.5 * appetite)), 400)
    debt = c["pb_lenders"] * h["revenue"] * 0.05 * np.exp(0.8 * rng.standard_normal(n))
    c["pb_outstanding_debt"] = np.round(debt, -2)

    short = rng.poisson(np.exp(-0.9 - 1.2 * integrity - 0.7 * health))
    long = rng.random(n) < sigmoid(-4.0 - 1.2 * integrity - 0.7 * health)
    long_dpd = np.minimum(31 + rng.exponential(45, n), 3650).astype(np.int64)
    c["pb_overdue_le30_24m"] = np.minimum(short, 200)
    c["pb_max_dpd_24m"] = np.where(long, long_dpd, np.where(short > 0, rng.integers(1, 31, n), 0))
    older = rng.random(n) < 0.25  # an overdue longer ago than the 24-month window
    since = np.where((short > 0) | long, rng.integers(0, 24, n), np.where(older, rng.integers(24, 121, n), -1))
    c["pb_months_since_overdue"] = since

    # Thin files: individual businesses and young firms have no enterprise bureau record.
    thin_p = (ENTERPRISE_FILE_MISSING[h["entity"]] + chunk.config.thin_file_trend * h["month_index"]
              + chunk.config.thin_file_shift)
    present = (rng.random(n) >= thin_p) & (h["years"] >= 1)
    h["has_enterprise_file"] = present
    eb_lenders = rng.poisson(np.exp(-0.2 + 0.35 * appetite + 0.3 * (h["entity"] == ENTITY_TYPES.index("small"))))
    eb_overdue = rng.poisson(np.exp(-1.8 - 0.9 * integrity - 0.7 * health))
    bad = rng.random(n) < sigmoid(-5.0 - 1.0 * integrity - 0.8 * health)
    eb_dpd = np.where(bad, 90 + rng.integers(0, 300, n), np.where(eb_overdue > 0, rng.integers(1, 90, n), 0))
    eb_debt = eb_lenders * h["revenue"] * 0.15 * np.exp(0.7 * rng.standard_normal(n))

    def keep(values: np.ndarray) -> np.ndarray:
        return np.where(present, values, np.nan)

    c["eb_overdue_24m"] = keep(np.minimum(eb_overdue + bad, 200))
    c["eb_max_dpd_24m"] = keep(eb_dpd)
    c["eb_bad_record_3y"] = keep(bad.astype(float))
    c["eb_lenders"] = keep(np.minimum(eb_lenders, 100))
    c["eb_outstanding_debt"] = keep(np.round(eb_debt, -2))


def add_judicial(chunk: Chunk) -> None:
    rng, h, c = chunk.rng, chunk.hidden, chunk.cols
    health, integrity = h["health"], h["integrity"]
    size = np.log(h["revenue"] / 1e6)
    c["lawsuits_3y"] = np.minimum(rng.poisson(np.exp(-2.6 - 0.6 * health - 0.4 * integrity + 0.2 * size)), 500)
    c["enforcements_3y"] = np.minimum(rng.poisson(np.exp(-4.0 - 0.8 * integrity - 0.6 * health)), 500)
