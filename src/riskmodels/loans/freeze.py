"""The early-warning batch's freeze, written where the drawdown check reads it."""

from __future__ import annotations

from datetime import date

import pandas as pd

from riskmodels.loans.store import FreezeSummary, LoanStore


def freeze_flagged(store: LoanStore, accounts: pd.DataFrame, as_of: date) -> FreezeSummary:
    """Freeze the unused limit of every account the batch flagged (``unused_limit_frozen``: a
    no-flow warning, seed 000 §七, or the B card's freeze action)."""
    flagged = accounts.loc[accounts["unused_limit_frozen"].to_numpy(dtype=bool), "account_id"]
    return store.freeze_unused([str(a) for a in flagged], source=f"early-warning batch {as_of.isoformat()}")
