"""Fraud: organised rings of shell applications, bust-out applicants, and the anti-fraud signals.

A ring is a group of 3-30 applications run by one organiser: fresh phone numbers shared between
members, a few devices, one or two addresses, young shell businesses, and a burst of
applications within days. A bust-out applicant runs a real but small business and declares a
revenue far above what tax and account flow show, borrowing everywhere before disappearing.
"""

from __future__ import annotations

import numpy as np

from riskmodels.contract import INDUSTRIES
from riskmodels.synth import identity
from riskmodels.synth.latent import Chunk, set_application_dates, sigmoid

RING_SHARE = 0.006  # share of applications that belong to a ring
BUST_OUT_SHARE = 0.004
RING_FRAUD_PROB = 0.92  # a few ring members are real people lending their name, not fraud
BUST_OUT_FRAUD_PROB = 0.85
MAX_RINGS_PER_CHUNK = 4_000  # far above the ~30 rings of a 50,000-application chunk
_SHELL_INDUSTRIES = np.array([INDUSTRIES.index(i) for i in ("wholesale", "retail", "technology", "services")])


def _ring_sizes(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    mean_size = 3 + (1 - 0.18) / 0.18
    sizes = np.minimum(2 + rng.geometric(0.18, rng.poisson(n * share / mean_size)), 30)
    # Small chunks cannot hold big rings: keep the rings that fit.
    return sizes[np.cumsum(sizes) <= n]


def assign_fraud(chunk: Chunk) -> None:
    """Choose ring members and bust-out applicants and reshape their latent state."""
    rng, n, h, cfg = chunk.rng, chunk.n, chunk.hidden, chunk.config
    sizes = _ring_sizes(rng, n, RING_SHARE * (1.6 if cfg.drift else 1.0))
    members = rng.permutation(n)[: sizes.sum()]
    ring = np.full(n, -1)
    ring[members] = np.repeat(np.arange(len(sizes)), sizes)
    in_ring = ring >= 0
    bust_out = ~in_ring & (rng.random(n) < BUST_OUT_SHARE * (1.5 if cfg.drift else 1.0))
    h["ring_number"], h["ring"], h["bust_out"] = ring, in_ring, bust_out

    k = in_ring.sum()
    h["integrity"][in_ring] = rng.normal(-1.5, 0.7, k)
    h["health"][in_ring] = rng.normal(-1.0, 0.8, k)
    h["years"][in_ring] = rng.uniform(0.1, 1.5, k)
    h["industry"][in_ring] = _SHELL_INDUSTRIES[rng.integers(0, len(_SHELL_INDUSTRIES), k)]
    h["entity"][in_ring] = np.where(rng.random(k) < 0.5, 0, 1)
    h["revenue"][in_ring] = rng.lognormal(np.log(6e5), 0.5, k)
    chunk.cols["industry"], chunk.cols["entity_type"] = h["industry"], h["entity"]
    h["integrity"][bust_out] = rng.normal(-1.3, 0.7, bust_out.sum())

    # Ring applications arrive in a burst: one month, within about a week.
    if len(sizes):
        ring_month = chunk.config.start_month + rng.integers(0, cfg.months, len(sizes))
        h["month_number"][in_ring] = ring_month[ring[in_ring]]
        h["month_index"][in_ring] = h["month_number"][in_ring] - cfg.start_month
        burst_start = rng.uniform(0, 0.75, len(sizes))
        day_fraction = rng.random(n)
        day_fraction[in_ring] = burst_start[ring[in_ring]] + rng.uniform(0, 0.24, k)
        set_application_dates(chunk, day_fraction)

    base = sigmoid(-7.8 - 1.1 * h["integrity"])  # opportunistic first-party fraud
    prob = np.where(in_ring, RING_FRAUD_PROB, np.where(bust_out, BUST_OUT_FRAUD_PROB, base))
    h["true_fraud_prob"] = prob
    h["is_fraud"] = rng.random(n) < prob
    ring_ids = identity.prefixed_ids("RING-", chunk.index * MAX_RINGS_PER_CHUNK + np.maximum(ring, 0), 9).astype(object)
    ring_ids[~in_ring] = None
    h["fraud_ring_id"] = ring_ids


def _shared_with(groups: np.ndarray) -> np.ndarray:
    """For each row, how many other rows carry the same group id."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return counts[inverse] - 1


def add_antifraud_signals(chunk: Chunk) -> None:
    """Phone and address history, shared identifiers, application velocity, blacklist."""
    rng, n, h, c = chunk.rng, chunk.n, chunk.hidden, chunk.cols
    ring, in_ring, bust = h["ring_number"], h["ring"], h["bust_out"]
    fraudster = in_ring | bust
    integrity, appetite = h["integrity"], h["appetite"]

    max_tenure = np.minimum((c["owner_age"] - 16) * 12, 600)
    phone_tenure = np.exp(rng.normal(np.log(72) + 0.6 * integrity, 0.5))
    phone_tenure = np.where(in_ring, rng.integers(0, 7, n), np.where(bust, rng.integers(1, 37, n), phone_tenure))
    c["phone_tenure_months"] = np.minimum(np.round(phone_tenure), max_tenure).astype(np.int64)
    # Honest owners stay put: the share of the firm's life at this address rises with integrity.
    stability = np.minimum(h["years"] * 12, 600) * sigmoid(0.8 + 0.8 * integrity + 0.6 * rng.standard_normal(n))
    stability = np.where(in_ring, rng.integers(0, 5, n), np.where(bust, rng.integers(1, 25, n), stability))
    c["address_stability_months"] = np.round(stability).astype(np.int64)

    # Legitimate sharing: family phones, a shared office building, a relative's tablet.
    phone_shared = (rng.random(n) < 0.01).astype(np.int64)
    device_shared: np.ndarray = (rng.random(n) < 0.02) * rng.integers(1, 3, n)
    address_shared = rng.poisson(0.2, n)
    device_shared = device_shared + bust * rng.poisson(0.3, n)
    # Which of its ring's devices and addresses each member uses (-1: no ring): kept for
    # ``synth.identifiers``, which gives the members those very identifiers.
    h["ring_device_slot"], h["ring_address_slot"] = np.full(n, -1), np.full(n, -1)
    if in_ring.any():
        sizes = np.bincount(ring[in_ring])
        members = np.flatnonzero(in_ring)
        pool_size = np.maximum(1, sizes // 3)[ring[members]]
        phone_slot = (rng.random(len(members)) * pool_size).astype(int)
        device_slot = (rng.random(len(members)) * np.maximum(1, sizes // 5)[ring[members]]).astype(int)
        address_slot = (rng.random(len(members)) < 0.3).astype(int)
        h["ring_device_slot"][members], h["ring_address_slot"][members] = device_slot, address_slot
        phone_key = ring[members] * 100 + phone_slot
        # Ring phones are virtual-operator numbers, unique to the ring across the whole portfolio.
        serial = (chunk.index * MAX_RINGS_PER_CHUNK + ring[members]) * 10 + phone_slot
        c["owner_phone"][members] = identity.phone_numbers(rng, serial, identity.VIRTUAL_PREFIXES)
        # Beyond this bank's applications the ring also applies elsewhere from the same identifiers.
        phone_shared[members] = _shared_with(phone_key) + rng.poisson(0.5, len(members))
        device_shared[members] = _shared_with(ring[members] * 100 + device_slot) + rng.poisson(1.0, len(members))
        address_shared[members] = _shared_with(ring[members] * 100 + address_slot) + rng.poisson(1.5, len(members))
    c["phone_shared_count"] = np.minimum(phone_shared, 1000)
    c["device_shared_count"] = np.minimum(device_shared, 1000)
    c["address_shared_count"] = np.minimum(address_shared, 1000)

    week = rng.poisson(0.15 * np.exp(0.5 * appetite)) + fraudster * (1 + rng.poisson(3.0, n))
    month = week + rng.poisson(0.4 * np.exp(0.5 * appetite)) + fraudster * rng.poisson(5.0, n)
    c["applications_7d"] = np.minimum(week, 100)
    c["applications_30d"] = np.minimum(month, 300)
    # Fraudsters shop around: their bureau shows the inquiries of the other lenders.
    c["pb_inquiries_3m"] = np.minimum(c["pb_inquiries_3m"] + fraudster * rng.poisson(4.0, n), 200)
    c["pb_inquiries_6m"] = np.minimum(np.maximum(c["pb_inquiries_6m"] + fraudster * rng.poisson(5.0, n),
                                                 c["pb_inquiries_3m"]), 400)
    blacklist = np.where(h["is_fraud"], 0.12, sigmoid(-7.5 - 1.2 * integrity))
    c["blacklist_hit"] = rng.random(n) < blacklist
