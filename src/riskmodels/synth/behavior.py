"""Month-end snapshots of booked loans (the B card's data), from the monthly chain.

Each booked loan is followed for ``dynamics.HORIZON_MONTHS`` months; snapshots are published
for its first ``SNAPSHOT_MONTHS`` months on book (a cap that keeps the table at about
12 rows per loan), up to and including the month it first reaches 90+ days past due. A loan
whose term ends earlier is taken as renewed (续贷) on the same terms, so every loan can be
followed for 18 months; ``months_to_maturity`` counts down each term. Each snapshot also
carries the inflow of last year's comparable month, for a like-for-like (同比) flow comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from riskmodels.synth import dynamics
from riskmodels.synth.dynamics import CURRENT, DEFAULT, DPD_1_29, DPD_30_59, HORIZON_MONTHS
from riskmodels.synth.latent import Chunk, sigmoid
from riskmodels.synth.segments import seasonality, spring_festival_month

SNAPSHOT_MONTHS = 12
FORWARD_MONTHS = 6
# Share of the usual inflow that still arrives, by delinquency stage (current ... 90+).
STAGE_INFLOW = np.array([1.0, 0.75, 0.5, 0.4, 0.25])


@dataclass(frozen=True)
class LoanMonths:
    """Everything known about each booked loan at each month end (column 0 = booking)."""

    rows: np.ndarray  # row of each loan in the chunk
    paths: dynamics.Paths
    health: np.ndarray
    dpd: np.ndarray
    balance: np.ndarray
    instalment: np.ndarray
    inflow: np.ndarray
    inflow_baseline: np.ndarray  # (n,)
    avg_balance: np.ndarray
    avg_balance_baseline: np.ndarray  # (n,)
    observed_until: np.ndarray  # (n,) last month on book inside the data


def _lognormal(rng: np.random.Generator, sigma: float, shape: tuple[int, ...]) -> np.ndarray:
    return np.exp(sigma * rng.standard_normal(shape) - sigma**2 / 2)


def _baseline_inflow(chunk: Chunk, rows: np.ndarray) -> np.ndarray:
    """Mean monthly inflow before the application; without flow data, the best figure at hand."""
    h, c = chunk.hidden, chunk.cols
    from_tax = c["declared_sales_y1"][rows] / 12 * 0.85
    from_form = c["declared_annual_revenue"][rows] / 12 * 0.85
    baseline = np.where(h["has_flow"][rows], h["inflow_mean"][rows], np.where(h["has_tax"][rows], from_tax, from_form))
    return cast(np.ndarray, np.round(baseline, 2))  # numpy types np.round of an Any array as Any


def simulate_loans(chunk: Chunk) -> LoanMonths:
    """Run the chain for the booked loans and derive balances, flows and DPD; set bad_12m, fpd."""
    rng, h, c = chunk.rng, chunk.hidden, chunk.cols
    rows = np.flatnonzero(h["booked"])
    n, months = len(rows), HORIZON_MONTHS + 1
    paths = dynamics.simulate(rng, h["start_point"][rows])
    state = paths.state
    h["bad_12m"] = np.full(chunk.n, np.nan)
    h["fpd"] = np.full(chunk.n, np.nan)
    h["bad_12m"][rows] = state[:, 12] == DEFAULT
    h["fpd"][rows] = state[:, 2] >= DPD_30_59  # first instalment still unpaid 30+ days later

    moved = (paths.grid_point - paths.grid_point[:, :1]) * dynamics.GRID_STEP
    health = h["health"][rows, None] - moved * dynamics.HEALTH_PER_RISK
    due_day = rng.integers(1, 30, n)[:, None]
    dpd = np.where(state > CURRENT, due_day + 30 * (state - 1), 0)

    amount = h["booked_amount"][rows][:, None]
    term = c["requested_term_months"][rows][:, None]
    month = np.arange(months)[None, :]
    paid = np.maximum(month - np.minimum(state, DEFAULT), 0) % term  # renewed (续贷) at maturity
    balance = np.round(amount * (1 - paid / term), 2)
    rate = np.clip(0.045 + 0.002 * (80 - h["a_score"][rows]), 0.04, 0.15)[:, None]
    instalment = np.round(amount / term * (1 + np.minimum(state, DEFAULT)) + balance * rate / 12, 2)

    industry = h["industry"][rows][:, None]
    app_month = h["month_number"][rows][:, None]
    before = seasonality(app_month - np.arange(1, 13)[None, :], industry).mean(axis=1, keepdims=True)
    season = seasonality(app_month + month, industry) / before
    baseline = _baseline_inflow(chunk, rows)
    zero = rng.random((n, months)) < sigmoid(-6.0 - 1.5 * health) + 0.25 * (state >= DPD_30_59)
    inflow = (baseline[:, None] * season * np.exp(0.9 * (health - health[:, :1])) * STAGE_INFLOW[state]
              * _lognormal(rng, 0.2, (n, months)))
    inflow = np.round(np.where(zero, 0.0, inflow), 2)
    share = h["balance_share"][rows][:, None]
    avg_balance = np.round(inflow * share * _lognormal(rng, 0.25, (n, months)), 2)
    balance_base = np.where(h["has_flow"][rows], c["avg_daily_balance"][rows], baseline * share[:, 0])
    return LoanMonths(rows, paths, health, dpd, balance, instalment, inflow, baseline, avg_balance,
                      np.round(balance_base, 2), chunk.config.end_month - h["month_number"][rows])


def _rolling(values: np.ndarray, window: int, how: str) -> np.ndarray:
    padded = np.concatenate([np.zeros((len(values), window - 1), dtype=values.dtype), values], axis=1)
    stacked = np.stack([padded[:, k:k + values.shape[1]] for k in range(window)])
    return cast(np.ndarray, stacked.max(axis=0) if how == "max" else stacked.sum(axis=0))  # numpy: Any


def comparable_month_last_year(month_number: np.ndarray) -> np.ndarray:
    """The month a year before each absolute month, like for like: the same calendar month, but
    January and February swap when the Spring Festival (春节) moved between them, so the
    festival month meets last year's festival month (the lunar calendar is public)."""
    year, month = np.divmod(np.asarray(month_number), 12)
    moved = spring_festival_month(year) != spring_festival_month(year - 1)
    shift = np.where(moved & (month == 0), 1, np.where(moved & (month == 1), -1, 0))
    return month_number - 12 + shift


def _same_month_last_year(c: dict[str, np.ndarray], h: dict[str, np.ndarray], loans: LoanMonths,
                          loan: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Inflow of the comparable month a year before each snapshot: from the application's
    statement (``m01`` is the month before it; null without one), else from the account itself."""
    row = loans.rows[loan]
    app_month = h["month_number"][row]
    lag = app_month - comparable_month_last_year(app_month + t)  # 1..12 inside the statement
    before = np.stack([c[f"inflow_m{m:02d}"] for m in range(1, 13)], axis=1)[row]
    statement = before[np.arange(len(loan)), np.clip(lag, 1, 12) - 1]
    on_book = loans.inflow[loan, np.clip(-lag, 0, None)]
    # numpy types the comparison as Any, and so the choice
    return cast(np.ndarray, np.where(lag >= 1, statement, on_book))


def snapshots(chunk: Chunk, loans: LoanMonths) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Snapshot columns (with ``row``, the chunk row) and each snapshot's true 6-month bad probability."""
    rng, h, c = chunk.rng, chunk.hidden, chunk.cols
    rows, state, point = loans.rows, loans.paths.state, loans.paths.grid_point
    n, months = state.shape
    appetite = h["appetite"][rows][:, None]
    moved = (point - point[:, :1]) * dynamics.GRID_STEP
    inquiries = np.cumsum(rng.poisson(np.exp(-1.8 + 0.5 * appetite + 0.8 * moved)), axis=1)
    lenders = np.cumsum(loans.paths.large_loan + rng.poisson(0.03 * np.exp(0.5 * appetite), (n, months)), axis=1)
    worst_3m, worst_6m = _rolling(loans.dpd, 3, "max"), _rolling(loans.dpd, 6, "max")
    mild_6m = _rolling((state == DPD_1_29).astype(np.int64), 6, "sum")
    drift = loans.health - loans.health[:, :1]
    tax_trend = np.exp(12 * h["slope"][rows][:, None] + 0.6 * drift) * _lognormal(rng, 0.08, (n, months))
    pos_trend = np.exp(0.9 * drift) * STAGE_INFLOW[state] * _lognormal(rng, 0.15, (n, months))
    # Customers set the instalment aside before the due date; those about to miss it do not,
    # and weak businesses sometimes scrape it together only on the day.
    scraping = rng.random((n, months)) < sigmoid(-3.5 - 1.2 * loans.health)
    set_aside = np.where((state > CURRENT) | scraping, rng.uniform(0.0, 0.6, (n, months)),
                         rng.uniform(1.0, 1.5, (n, months)))
    regular = loans.instalment / (1 + np.minimum(state, DEFAULT))
    before_due = np.round(loans.avg_balance * _lognormal(rng, 0.5, (n, months)) * 0.3 + set_aside * regular, 2)

    # Published months: 1..12 on book, up to and including the first month at 90+.
    month = np.arange(months)[None, :]
    keep = (month >= 1) & (month <= SNAPSHOT_MONTHS) & (np.concatenate(
        [np.zeros((n, 1), bool), state[:, :-1] != DEFAULT], axis=1))
    loan, t = np.nonzero(keep)
    forward = state[loan, np.minimum(t + FORWARD_MONTHS, months - 1)] == DEFAULT
    observable = (t + FORWARD_MONTHS <= loans.observed_until[loan]) & (state[loan, t] != DEFAULT)
    row = rows[loan]
    term = c["requested_term_months"][row].astype(np.int64)
    cols = {
        "row": row,
        "snapshot_month": h["month_number"][row] + t,
        "industry": h["industry"][row],
        "months_on_book": t,
        "months_to_maturity": (term - t % term) % term,  # renewed (续贷) on the same term at maturity
        "limit_amount": h["booked_amount"][row],
        "balance": loans.balance[loan, t],
        "instalment_due": loans.instalment[loan, t],
        "balance_before_due": before_due[loan, t],
        "dpd": loans.dpd[loan, t],
        "worst_dpd_3m": worst_3m[loan, t],
        "worst_dpd_6m": worst_6m[loan, t],
        "times_dpd_1_29_6m": mild_6m[loan, t],
        "inflow_month": loans.inflow[loan, t],
        "inflow_baseline": loans.inflow_baseline[loan],
        "inflow_same_month_last_year": _same_month_last_year(c, h, loans, loan, t),
        "avg_balance_month": loans.avg_balance[loan, t],
        "avg_balance_baseline": loans.avg_balance_baseline[loan],
        "new_inquiries_since_booking": np.minimum(inquiries[loan, t], 500),
        "new_lenders_since_booking": np.minimum(lenders[loan, t], 100),
        "new_large_loan_other_bank": loans.paths.large_loan[loan, t],
        "tax_trend": np.where(h["has_tax"][row], np.clip(np.round(tax_trend[loan, t], 4), 0, 100), np.nan),
        "pos_trend": np.where(h["has_pos"][row], np.clip(np.round(pos_trend[loan, t], 4), 0, 100), np.nan),
        "a_score_origination": h["a_score"][row],
        "bad_6m_forward": np.where(observable, forward.astype(float), np.nan),
    }
    truth = dynamics.chain().bad_6m[point[loan, t], state[loan, t]]
    return cols, truth
