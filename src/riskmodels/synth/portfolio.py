"""``generate_portfolio``: the whole loan book, simulated in fixed-size chunks.

Each chunk of ``CHUNK_SIZE`` applications has its own generator, spawned from the seed, so
the result depends on nothing but the arguments (not on chunk timing or the machine).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels.contract import APPLICATIONS, BEHAVIOR_SNAPSHOTS, COLLECTION_CASES, OUTCOMES, TRUTH
from riskmodels.synth import (
    behavior,
    collection,
    flows,
    fraud_rings,
    identifiers,
    latent,
    outcomes,
    platform,
    request,
    sources,
)
from riskmodels.synth.identity import prefixed_ids
from riskmodels.synth.schema import BEHAVIOR_TRUTH, COLLECTION_TRUTH, frame, month_end
from riskmodels.synth.segments import SimConfig

GENERATOR_VERSION = "1.4.0"  # 1.1: a stable book has no trend; 1.2: the request mix, counterfactual outcomes;
# 1.3: the platform source (its own stream: the other columns are those of 1.2); 1.4: device_id and
# business_address, ring members sharing theirs (their own stream: the other columns are those of 1.3)
CHUNK_SIZE = 50_000
MAX_APPLICATIONS = 99_999_999  # application ids carry eight digits
TABLE_NAMES = ("applications", "outcomes", "truth", "behavior_snapshots", "collection_cases",
               "behavior_truth", "collection_truth")


@dataclass(frozen=True)
class Portfolio:
    """A simulated loan book: the contract's tables plus the simulator's hidden truth."""

    applications: pd.DataFrame
    outcomes: pd.DataFrame
    truth: pd.DataFrame
    behavior_snapshots: pd.DataFrame
    collection_cases: pd.DataFrame
    behavior_truth: pd.DataFrame
    collection_truth: pd.DataFrame
    settings: dict[str, object] = field(default_factory=dict)  # seed, n_applications, drift, start, months

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLE_NAMES}


def _check_arguments(n_applications: object, seed: object, drift: object, start: object, months: object,
                     progress: object) -> int:
    def is_int(x: object) -> bool:
        return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))

    if not is_int(n_applications) or n_applications <= 0:  # type: ignore[operator]
        raise ValueError(f"n_applications must be a positive integer; got {n_applications!r}")
    if n_applications > MAX_APPLICATIONS:  # type: ignore[operator]
        raise ValueError(f"n_applications must be at most {MAX_APPLICATIONS}; got {n_applications!r}")
    if not is_int(seed) or seed < 0:  # type: ignore[operator]
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    if not isinstance(drift, (bool, np.bool_)):
        raise ValueError(f"drift must be True or False; got {drift!r}")
    match = re.fullmatch(r"(\d{4})-(\d{2})", start) if isinstance(start, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or not 1990 <= int(match.group(1)) <= 2100:
        raise ValueError(f"start must be a month 'YYYY-MM' between 1990 and 2100; got {start!r}")
    if not is_int(months) or not 1 <= months <= 120:  # type: ignore[operator]
        raise ValueError(f"months must be an integer from 1 to 120; got {months!r}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable or None; got {progress!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def _stream(sequence: np.random.SeedSequence, name: str) -> np.random.Generator:
    """A generator of its own for one part of the chunk, keyed by the part's name: a source added
    later draws from it and leaves the chunk's own generator, so every earlier column, as it was."""
    return np.random.default_rng(np.random.SeedSequence(
        sequence.entropy, spawn_key=(*sequence.spawn_key, zlib.crc32(name.encode()))))


def _simulate_chunk(chunk: latent.Chunk, counterfactual_rng: np.random.Generator,
                    sequence: np.random.SeedSequence) -> dict[str, dict[str, np.ndarray]]:
    for step in (latent.draw_population, fraud_rings.assign_fraud, latent.describe_business,
                 flows.add_revenue, flows.add_settlement_flow, flows.add_pos,
                 sources.add_tax, sources.add_bureau, sources.add_judicial,
                 request.add_request, fraud_rings.add_antifraud_signals, outcomes.add_outcomes):
        step(chunk)
    platform.add_platform(chunk, _stream(sequence, "platform"))
    identifiers.add_identifiers(chunk, _stream(sequence, "identifiers"))
    loans = behavior.simulate_loans(chunk)
    outcomes.add_counterfactual_outcome(chunk, counterfactual_rng)
    snapshot_cols, bad_6m_prob = behavior.snapshots(chunk, loans)
    case_cols, cure_prob = collection.cases(chunk, loans)
    h, cols = chunk.hidden, chunk.cols
    prefix = "DRF" if chunk.config.drift else "APP"  # drifted books never collide with normal ones
    ids = prefixed_ids(prefix, chunk.first_row + np.arange(1, chunk.n + 1), 8)
    cols["application_id"] = ids
    account = ids[snapshot_cols["row"]]
    snapshot_cols["account_id"] = account
    snapshot_cols["snapshot_date"] = month_end(snapshot_cols["snapshot_month"])
    case_account = ids[case_cols["row"]]
    case_cols["account_id"] = case_account
    case_cols["case_id"] = np.strings.add(np.strings.add(case_account, "-C"),
                                          np.char.zfill(case_cols["case_number"].astype(str), 2))
    case_cols["case_date"] = month_end(case_cols["case_month"])
    return {
        "applications": cols,
        "outcomes": {"application_id": ids, "booked": h["booked"], "booked_amount": h["booked_amount"],
                     "bad_12m": h["bad_12m"], "fpd": h["fpd"], "is_fraud": h["is_fraud"].astype(np.int64)},
        "truth": {"application_id": ids, "true_pd": h["true_pd"], "bad_12m_if_booked": h["bad_12m_if_booked"],
                  "true_fraud_prob": h["true_fraud_prob"],
                  "health": h["health"], "integrity": h["integrity"], "fraud_ring_id": h["fraud_ring_id"]},
        "behavior_snapshots": snapshot_cols,
        "collection_cases": case_cols,
        "behavior_truth": {"account_id": account, "snapshot_date": snapshot_cols["snapshot_date"],
                           "true_bad_6m_prob": bad_6m_prob},
        "collection_truth": {"case_id": case_cols["case_id"], "true_cure_prob": cure_prob},
    }


SCHEMAS = {"applications": APPLICATIONS, "outcomes": OUTCOMES, "truth": TRUTH,
            "behavior_snapshots": BEHAVIOR_SNAPSHOTS, "collection_cases": COLLECTION_CASES,
            "behavior_truth": BEHAVIOR_TRUTH, "collection_truth": COLLECTION_TRUTH}


def generate_portfolio(n_applications: int, seed: int, *, drift: bool = False, start: str = "2023-01",
                       months: int = 24, progress: Callable[[int], None] | None = None) -> Portfolio:
    """Simulate ``n_applications`` applications over ``months`` months from ``start`` ('YYYY-MM').

    ``drift=True`` gives a clearly shifted population (weaker, more co-debt, thinner files, another
    industry mix). ``progress``, if given, is called after each chunk with the number of
    applications it completed (an increment, as ``tqdm.update`` expects). Same arguments, same
    tables, byte for byte.
    """
    start_month = _check_arguments(n_applications, seed, drift, start, months, progress)
    config = SimConfig(seed=int(seed), drift=bool(drift), start_month=start_month, months=int(months))
    n_chunks = math.ceil(n_applications / CHUNK_SIZE)
    parts = []
    for index, sequence in enumerate(np.random.SeedSequence(int(seed)).spawn(n_chunks)):
        size = min(CHUNK_SIZE, n_applications - index * CHUNK_SIZE)
        chunk = latent.Chunk(config, np.random.default_rng(sequence), index, index * CHUNK_SIZE, size)
        # The counterfactual outcomes draw from a child of the chunk's seed, never from the
        # chunk's own generator: the book's other columns stay what they were without them.
        parts.append(_simulate_chunk(chunk, np.random.default_rng(sequence.spawn(1)[0]), sequence))
        if progress is not None:
            progress(size)
    tables = {}
    for name, table in SCHEMAS.items():
        merged = {c: np.concatenate([p[name][c] for p in parts]) for c in table.names}
        for part in parts:
            del part[name]  # keep the peak memory near one copy of the portfolio
        tables[name] = frame(table, merged)
        del merged
    settings: dict[str, object] = {"seed": int(seed), "n_applications": int(n_applications), "drift": bool(drift),
                                   "start": start, "months": int(months), "generator_version": GENERATOR_VERSION}
    return Portfolio(**tables, settings=settings)
