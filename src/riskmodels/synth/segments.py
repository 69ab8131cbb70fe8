"""Who the borrowers are: industry and legal-form profiles, the calendar, the macro cycle.

Every number here is an assumption of the simulator, chosen to look like a Chinese
small-business loan book (see ``shared/DOMAIN.md``); none of it is a fact about a real bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from riskmodels.contract import ENTITY_TYPES, INDUSTRIES


@dataclass(frozen=True)
class IndustryProfile:
    share: float  # share of applications in a normal year
    drift_share: float  # share in the shifted population (``drift=True``)
    risk: float  # additive effect on the default log-odds
    revenue_multiplier: float  # yearly revenue relative to the legal form's median
    volatility: float  # month-to-month noise of the flows (log scale)
    pos_presence: float  # probability of having a POS terminal with the bank
    pos_share: float  # share of revenue that goes through POS
    pos_ticket: float  # average POS payment, CNY
    flow_ticket: float  # average account transaction, CNY
    tax_rate: float  # tax paid over declared sales
    revenue_per_employee: float  # CNY a year
    spring_dip: float  # relative change of the flows in the Spring Festival month
    pre_spring: float  # ... in the month before it (stocking up, year-end bonuses)
    year_end: float  # ... in December (settlements, shopping festivals)
    harvest: float  # ... in September and October (half as much down in March and April)
    individual_share: float  # share of individual businesses (个体工商户)
    small_share: float  # share of small (as opposed to micro) enterprises


def _p(*values: float) -> IndustryProfile:
    return IndustryProfile(*values)


# share, drift, risk, rev x, vol, POS p, POS share, POS ticket, flow ticket, tax, rev/employee,
# spring, pre-spring, year-end, harvest, individual, small
INDUSTRY_PROFILES: dict[str, IndustryProfile] = {
    "catering":      _p(.16, .08, .20, .8, .16, .90, .55, 85, 2_000, .020, 150e3, -.30, .10, .15, .0, .60, .05),
    "retail":        _p(.20, .10, .00, 1., .15, .85, .45, 120, 3_000, .015, 300e3, -.15, .25, .20, .0, .55, .06),
    "wholesale":     _p(.12, .10, .00, 2., .22, .20, .15, 2_000, 20_000, .012, 1e6, -.35, .15, .10, .0, .25, .15),
    "manufacturing": _p(.12, .08, -.15, 2., .20, .05, .05, 5_000, 50_000, .030, 400e3, -.45, .0, .10, .0, .15, .30),
    "technology":    _p(.07, .16, .10, 1.2, .40, .05, .05, 3_000, 30_000, .040, 300e3, -.20, .0, .30, .0, .05, .25),
    "services":      _p(.12, .10, .00, .7, .18, .70, .40, 150, 2_500, .025, 200e3, -.25, .05, .10, .0, .50, .05),
    "agriculture":   _p(.06, .06, .40, .7, .30, .15, .10, 500, 8_000, .005, 200e3, -.10, .05, .0, .50, .55, .05),
    "transport":     _p(.06, .05, .20, 1.2, .22, .20, .10, 800, 6_000, .020, 400e3, -.40, .0, .15, .0, .40, .10),
    "construction":  _p(.05, .14, .50, 1.5, .38, .05, .05, 5_000, 60_000, .025, 500e3, -.50, .0, .25, .0, .20, .25),
    "entertainment": _p(.02, .08, .50, .8, .25, .80, .60, 200, 3_000, .030, 200e3, .05, .15, .10, .0, .45, .05),
    "mining":        _p(.02, .05, .30, 2.5, .28, .02, .02, 10_000, 80_000, .040, 800e3, -.30, .0, .10, .0, .10, .35),
}
assert tuple(INDUSTRY_PROFILES) == INDUSTRIES  # the order is the category code order

# Median yearly revenue (CNY) and default log-odds effect by legal form.
ENTITY_REVENUE = {"individual_business": 0.9e6, "micro": 3.0e6, "small": 15.0e6}
ENTITY_RISK = {"individual_business": 0.15, "micro": 0.0, "small": -0.35}
assert tuple(ENTITY_REVENUE) == ENTITY_TYPES


def profile_array(field: str) -> np.ndarray:
    """One field of every industry profile, indexed by industry code."""
    return np.array([getattr(p, field) for p in INDUSTRY_PROFILES.values()], dtype=float)


# Month of the Spring Festival (春节), when most small businesses close for one to two weeks.
SPRING_FESTIVAL_MONTH = {
    2015: 2, 2016: 2, 2017: 1, 2018: 2, 2019: 2, 2020: 1, 2021: 2, 2022: 2, 2023: 1, 2024: 2,
    2025: 1, 2026: 2, 2027: 2, 2028: 1, 2029: 2, 2030: 2,
}
_DEFAULT_SPRING_MONTH = 2


def spring_festival_month(years: np.ndarray) -> np.ndarray:
    lookup = np.vectorize(lambda y: SPRING_FESTIVAL_MONTH.get(int(y), _DEFAULT_SPRING_MONTH), otypes=[int])
    unique, inverse = np.unique(years, return_inverse=True)
    return cast(np.ndarray, lookup(unique)[inverse].reshape(np.shape(years)))  # np.vectorize returns Any


def seasonality(month_number: np.ndarray, industry: np.ndarray) -> np.ndarray:
    """Multiplier of the flows in an absolute month (``year * 12 + month - 1``), by industry.

    ``industry`` broadcasts against ``month_number`` (e.g. shape (n, 1) against (n, 12)).
    """
    year, month = np.divmod(month_number, 12)
    month = month + 1
    spring = spring_festival_month(year)
    factor = np.ones(np.broadcast_shapes(np.shape(month_number), np.shape(industry)))
    factor += profile_array("spring_dip")[industry] * (month == spring)
    factor += profile_array("pre_spring")[industry] * (month == spring - 1)
    factor += profile_array("year_end")[industry] * (month == 12)
    harvest = profile_array("harvest")[industry]
    factor += harvest * np.isin(month, (9, 10)) - harvest / 2 * np.isin(month, (3, 4))
    return factor


def macro_cycle(month_number: np.ndarray) -> np.ndarray:
    """Economy-wide effect on the default log-odds: a three-year credit cycle."""
    return 0.25 * np.sin(2 * np.pi * (np.asarray(month_number) - 2020 * 12) / 36.0)


@dataclass(frozen=True)
class SimConfig:
    """What a run is asked for, and the population shift it implies."""

    seed: int
    drift: bool
    start_month: int  # absolute month number of the first application month
    months: int

    @property
    def end_month(self) -> int:
        """Last month of observed performance: 12 months after the last application month."""
        return self.start_month + self.months - 1 + 12

    # The shifted population of ``drift=True``: weaker, more indebted, thinner files.
    @property
    def health_shift(self) -> float:
        return -0.35 if self.drift else 0.0

    @property
    def appetite_shift(self) -> float:
        return 0.7 if self.drift else 0.0

    @property
    def thin_file_shift(self) -> float:
        return 0.20 if self.drift else 0.0

    @property
    def macro_shift(self) -> float:
        return 0.25 if self.drift else 0.0

    # Trends across the window, per application month. A stable book (``drift=False``) has none:
    # its people are drawn the same way every month, so a fresh seed is the same process and a
    # calibration back-test on it tests the model, not the simulator. Only the economy moves
    # (``macro_cycle``). The shifted population also keeps drifting, for monitoring to find.
    @property
    def appetite_trend(self) -> float:
        return 0.015 if self.drift else 0.0

    @property
    def thin_file_trend(self) -> float:
        return 0.003 if self.drift else 0.0

    def industry_shares(self) -> np.ndarray:
        shares = profile_array("drift_share" if self.drift else "share")
        return cast(np.ndarray, shares / shares.sum())  # numpy types array / Any as Any
