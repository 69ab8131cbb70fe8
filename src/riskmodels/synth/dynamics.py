"""The life of a booked loan: a monthly Markov chain whose default probabilities are exact.

Each loan carries a risk index ``r`` on a fine grid. Every month:
1. a new large loan at another lender may arrive (probability rising with ``r``) and pushes
   ``r`` up: co-debt is a real cause of default, not only a symptom;
2. ``r`` takes a random-walk step (the business's health drifting after booking);
3. the delinquency state moves: current -> 1-29 -> 30-59 -> 60-89 -> 90+ (absorbing default),
   each stage either rolling forward or curing back to current, with probabilities set by ``r``.

Because the state (grid point, delinquency stage) is finite, the probability of reaching 90+
within any horizon is computed exactly by backward induction. That gives the truth tables:
``true_pd`` (12 months from booking), ``true_bad_6m_prob`` (6 months from a snapshot) and
``true_cure_prob`` (back to current at the next month end). Each loan's starting point is the
grid point whose 12-month probability is closest to its target PD (the logistic of its risk
drivers), so the application-level PD keeps its logistic form up to a 1% rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import numpy as np
from scipy.ndimage import correlate1d
from scipy.stats import norm

from riskmodels.synth.latent import sigmoid

GRID_MIN, GRID_MAX, GRID_STEP = -16.0, 8.0, 0.01
WALK_SD_CELLS = 8  # monthly random-walk step of r: 0.08
WALK_RADIUS = 6 * WALK_SD_CELLS
JUMP_CELLS = 25  # a new large loan elsewhere adds 0.25 to r
CURRENT, DPD_1_29, DPD_30_59, DPD_60_89, DEFAULT = range(5)
N_STATES = 5
HORIZON_MONTHS = 18  # 12 months of snapshots plus the 6-month forward window
# One unit of r is worth about 1.6 standard deviations of health (r moves ~0.6 per unit of PD log-odds).
HEALTH_PER_RISK = 1.0 / 0.6


@dataclass(frozen=True)
class Chain:
    grid: np.ndarray  # r at each grid point
    transition: np.ndarray  # (grid, from state, to state), given r after the month's moves
    jump_prob: np.ndarray  # (grid,) probability of a new large loan elsewhere this month
    walk: np.ndarray  # (2 * WALK_RADIUS + 1,) probabilities of the walk's steps, in cells
    bad_6m: np.ndarray  # (grid, state) P(90+ within 6 months)
    bad_12m: np.ndarray  # (grid, state) P(90+ within 12 months)
    cure: np.ndarray  # (grid, state) P(current at the next month end)


def _transition(r: np.ndarray) -> np.ndarray:
    miss = sigmoid(r)
    rolls = [sigmoid(0.9 + 0.5 * r), sigmoid(2.15 + 0.5 * r), sigmoid(2.37 + 0.5 * r)]
    t = np.zeros((len(r), N_STATES, N_STATES))
    t[:, CURRENT, CURRENT], t[:, CURRENT, DPD_1_29] = 1 - miss, miss
    for stage, roll in zip((DPD_1_29, DPD_30_59, DPD_60_89), rolls, strict=True):
        t[:, stage, CURRENT], t[:, stage, stage + 1] = 1 - roll, roll
    t[:, DEFAULT, DEFAULT] = 1.0
    return t


def _walk_pmf() -> np.ndarray:
    """Exact probabilities of round(N(0, sd)) clipped to the radius (tails lumped at the ends)."""
    edges = (np.arange(-WALK_RADIUS, WALK_RADIUS + 2) - 0.5) / WALK_SD_CELLS
    cdf = norm.cdf(edges)
    cdf[0], cdf[-1] = 0.0, 1.0
    return np.diff(cdf)


def _one_month(chain_parts: tuple[np.ndarray, np.ndarray, np.ndarray], after_move: np.ndarray) -> np.ndarray:
    """Expectation over the month's jump and walk of a quantity known after the state moves."""
    _, jump_prob, walk = chain_parts
    # mode="nearest" clamps at the grid's edges, exactly as the simulation clips.
    walked = correlate1d(after_move, walk, axis=0, mode="nearest")
    jumped = np.concatenate([walked[JUMP_CELLS:], np.repeat(walked[-1:], JUMP_CELLS, axis=0)])
    return cast(np.ndarray, jump_prob[:, None] * jumped + (1 - jump_prob[:, None]) * walked)  # scipy: untyped


@lru_cache(maxsize=1)
def chain() -> Chain:
    """The chain and its truth tables (deterministic: computed once per process)."""
    grid = np.round(np.arange(GRID_MIN, GRID_MAX + GRID_STEP / 2, GRID_STEP), 10)
    transition = _transition(grid)
    jump_prob = sigmoid(-4.6 + 0.35 * (grid + 3.5))
    walk = _walk_pmf()
    parts = (transition, jump_prob, walk)
    absorbed = np.zeros((len(grid), N_STATES))
    absorbed[:, DEFAULT] = 1.0
    tables = {}
    for month in range(1, 13):
        absorbed = _one_month(parts, np.einsum("gde,ge->gd", transition, absorbed))
        tables[month] = absorbed
    cure = _one_month(parts, transition[:, :, CURRENT])
    return Chain(grid, transition, jump_prob, walk, tables[6], tables[12], cure)


def start_points(target_pd: np.ndarray) -> np.ndarray:
    """Grid point whose 12-month default probability from 'current' is closest to the target."""
    curve = chain().bad_12m[:, CURRENT]
    right = np.clip(np.searchsorted(curve, target_pd), 1, len(curve) - 1)
    left = right - 1
    return np.where(np.abs(curve[left] - target_pd) <= np.abs(curve[right] - target_pd), left, right)


@dataclass(frozen=True)
class Paths:
    """Monthly paths of booked loans; column 0 is booking, column t the end of month t."""

    grid_point: np.ndarray  # (n, HORIZON_MONTHS + 1) int
    state: np.ndarray  # (n, HORIZON_MONTHS + 1) int
    large_loan: np.ndarray  # (n, HORIZON_MONTHS + 1) bool: a new large loan elsewhere that month


def simulate(rng: np.random.Generator, start: np.ndarray) -> Paths:
    ch = chain()
    n, top = len(start), len(ch.grid) - 1
    point = np.empty((n, HORIZON_MONTHS + 1), dtype=np.int64)
    state = np.zeros((n, HORIZON_MONTHS + 1), dtype=np.int64)
    jump = np.zeros((n, HORIZON_MONTHS + 1), dtype=bool)
    point[:, 0] = start
    for t in range(1, HORIZON_MONTHS + 1):
        g = point[:, t - 1]
        jump[:, t] = rng.random(n) < ch.jump_prob[g]
        step = np.clip(np.round(rng.standard_normal(n) * WALK_SD_CELLS), -WALK_RADIUS, WALK_RADIUS).astype(np.int64)
        g = np.clip(np.minimum(g + JUMP_CELLS * jump[:, t], top) + step, 0, top)
        point[:, t] = g
        cumulative = np.cumsum(ch.transition[g, state[:, t - 1]], axis=1)
        state[:, t] = (rng.random(n)[:, None] > cumulative[:, :-1]).sum(axis=1)
    return Paths(point, state, jump)
