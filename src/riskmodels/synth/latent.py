"""The hidden population: when each business applies, what it is, and how healthy and honest.

Two latent factors drive everything observable and the outcomes together: ``health`` of the
business and ``integrity`` of its owner, both standard normal. A third, ``appetite``, is the
owner's taste for borrowing from many lenders at once (多头共债).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np

from riskmodels.contract import ENTITY_TYPES, INDUSTRIES, REGISTRY_STATUSES
from riskmodels.synth import identity
from riskmodels.synth.segments import ENTITY_REVENUE, SimConfig, profile_array

POLLUTING_INDUSTRIES = ("manufacturing", "agriculture", "construction", "mining")


@dataclass
class Chunk:
    """One block of applications simulated with its own random generator."""

    config: SimConfig
    rng: np.random.Generator
    index: int  # position of the chunk: keeps ids such as fraud rings unique across chunks
    first_row: int  # global number of the chunk's first application
    n: int
    hidden: dict[str, np.ndarray] = field(default_factory=dict)  # latent state, never published
    cols: dict[str, np.ndarray] = field(default_factory=dict)  # application columns (NaN = null)


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return cast(np.ndarray, 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float))))  # numpy types float / array as Any


def draw_population(chunk: Chunk) -> None:
    """Application dates, segments and latent factors."""
    rng, cfg, n = chunk.rng, chunk.config, chunk.n
    h, c = chunk.hidden, chunk.cols

    # Volume grows slowly over the window.
    weights = np.exp(0.01 * np.arange(cfg.months))
    month_index = rng.choice(cfg.months, size=n, p=weights / weights.sum())
    h["month_index"] = month_index
    h["month_number"] = cfg.start_month + month_index
    set_application_dates(chunk, rng.random(n))

    industry = rng.choice(len(cfg.industry_shares()), size=n, p=cfg.industry_shares())
    u = rng.random(n)
    individual_share = np.clip(profile_array("individual_share")[industry] + (0.1 if cfg.drift else 0.0), 0, 0.95)
    small_share = profile_array("small_share")[industry]
    entity = np.where(u < individual_share, 0, np.where(u < individual_share + small_share, 2, 1))
    h["industry"], h["entity"] = industry, entity
    c["industry"], c["entity_type"] = industry, entity

    health = rng.standard_normal(n) + cfg.health_shift
    integrity = 0.2 * health + np.sqrt(1 - 0.2**2) * rng.standard_normal(n)
    # In the shifted population the borrowing appetite also rises across the window.
    appetite = (-0.3 * health - 0.2 * integrity + 0.93 * rng.standard_normal(n)
                + cfg.appetite_trend * month_index + cfg.appetite_shift)
    h["health"], h["integrity"], h["appetite"] = health, integrity, appetite

    median_years = np.array([4.0, 5.0, 8.0])[entity]
    years = np.clip(median_years * np.exp(0.8 * rng.standard_normal(n) + 0.15 * health), 0.1, 60.0)
    h["years"] = years
    median_revenue = np.array(list(ENTITY_REVENUE.values()))[entity] * profile_array("revenue_multiplier")[industry]
    revenue = median_revenue * np.exp(0.25 * health + 0.7 * rng.standard_normal(n) + 0.1 * np.log1p(years))
    h["revenue"] = np.clip(revenue, 5e4, 5e9)


def describe_business(chunk: Chunk) -> None:
    """Registry and owner columns, once fraud has reshaped the fraudsters' latent state."""
    _registry(chunk)
    _owner(chunk)


def set_application_dates(chunk: Chunk, day_fraction: np.ndarray) -> None:
    """Dates inside each application's month, ``day_fraction`` in [0, 1)."""
    month = chunk.hidden["month_number"]
    first = (month - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    length = ((month + 1 - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]") - first).astype(int)
    chunk.cols["application_date"] = first + (day_fraction * length).astype(int)


def _registry(chunk: Chunk) -> None:
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    health, integrity, years, entity = h["health"], h["integrity"], h["years"], h["entity"]
    c["years_in_business"] = np.round(years, 1)
    per_employee = profile_array("revenue_per_employee")[h["industry"]]
    employees = h["revenue"] / per_employee * np.exp(0.3 * rng.standard_normal(n))
    bounds = np.array([[1, 15], [2, 100], [20, 10_000]])[entity]
    c["employees"] = np.clip(np.round(employees), bounds[:, 0], bounds[:, 1]).astype(np.int64)

    abnormal = rng.random(n) < sigmoid(-4.0 - 0.8 * health - 0.5 * integrity)
    revoked = rng.random(n) < sigmoid(-7.5 - 1.0 * integrity)
    status = np.where(revoked, REGISTRY_STATUSES.index("revoked"),
                      np.where(abnormal, REGISTRY_STATUSES.index("abnormal"), REGISTRY_STATUSES.index("active")))
    c["registry_status"] = status
    polluting = np.isin(h["industry"], [INDUSTRIES.index(i) for i in POLLUTING_INDUSTRIES])
    c["environmental_violation"] = rng.random(n) < np.where(polluting, 0.03, 0.003) * np.exp(-0.4 * health)

    # A share of applicants are new to the bank: no account, hence no settlement flow.
    # Shell companies of fraud rings mostly open no account before applying.
    new_to_bank = (rng.random(n) < 0.10 + 0.5 * chunk.config.thin_file_shift) | (h["ring"] & (rng.random(n) < 0.7))
    tenure = np.ceil(np.sqrt(rng.random(n)) * np.minimum(years * 12, 240)).astype(np.int64)
    c["account_tenure_months"] = np.where(new_to_bank, 0, np.maximum(tenure, 1))
    share = 100 - 45 * rng.beta(1.0, 5.0, n)
    c["main_business_share"] = np.round(share, 1)


def _owner(chunk: Chunk) -> None:
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    health, years = h["health"], h["years"]
    age = np.clip(np.round(24 + 0.6 * years + rng.normal(12, 8, n)), 20, 75).astype(np.int64)
    c["owner_age"] = age
    c["owner_experience_years"] = np.round(np.minimum(age - 18, years * rng.uniform(1.0, 2.0, n)), 1)
    c["owner_local_resident"] = rng.random(n) < 0.72
    c["owner_has_property"] = rng.random(n) < sigmoid(0.2 + 0.5 * health + 0.3 * (age - 40) / 10)
    assets = h["revenue"] * 0.04 * np.exp(0.5 * health + 0.8 * rng.standard_normal(n))
    at_bank = c["account_tenure_months"] > 0
    c["owner_financial_assets"] = np.where(at_bank, np.round(assets, -2), np.nan)
    c["owner_private_banking"] = at_bank & (assets >= 6e6) & (rng.random(n) < 0.8)

    female = rng.random(n) < 0.3
    birth = c["application_date"] - (age * 365.25 + rng.random(n) * 364).astype(int)
    c["owner_id_number"] = identity.resident_ids(rng, birth, female)
    c["owner_phone"] = identity.phone_numbers(rng, chunk.first_row + np.arange(n))
    individual = h["entity"] == ENTITY_TYPES.index("individual_business")
    c["business_name"] = identity.business_names(rng, h["industry"], individual)
