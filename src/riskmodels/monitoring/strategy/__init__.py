"""The strategy lab (``riskmodels policy simulate``): a policy or model replayed on a book."""

from riskmodels.monitoring.strategy.report import Simulation, simulate, write
from riskmodels.monitoring.strategy.simulate import (
    ACCEPTED,
    OUTCOMES,
    Book,
    Funnel,
    Replay,
    cutoff_grid,
    funnel,
    read_book,
    replay,
    review_load,
    swap_set,
)

__all__ = ["ACCEPTED", "OUTCOMES", "Book", "Funnel", "Replay", "Simulation", "cutoff_grid", "funnel", "read_book",
           "replay", "review_load", "simulate", "swap_set", "write"]
