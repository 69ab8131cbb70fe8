"""Train / test / out-of-time samples by calendar month, as validators expect them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field


class SplitConfig(BaseModel):
    """The last ``oot_months`` months are out-of-time; the rest is split at random."""

    oot_months: int = Field(default=4, ge=1, description="Most recent months held out as out-of-time")
    test_share: float = Field(default=0.25, gt=0, lt=1, description="Share of in-time rows used for testing")
    seed: int = 7


def split_by_month(dates: pd.Series, config: SplitConfig) -> pd.Series:
    """Label each row 'train', 'test' or 'oot' from its date.

    The out-of-time sample is the most recent months, so it measures how the model holds up
    on a population it has not seen, as it will in production.
    """
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise TypeError(f"dates must be datetime64; got {dates.dtype}")
    months = dates.dt.to_period("M")
    distinct = np.sort(months.dropna().unique())
    if len(distinct) <= config.oot_months:
        raise ValueError(
            f"data must span more than oot_months={config.oot_months} months; got {len(distinct)}")
    first_oot = distinct[-config.oot_months]
    rng = np.random.default_rng(config.seed)
    test = rng.random(len(dates)) < config.test_share
    labels = np.where(months >= first_oot, "oot", np.where(test, "test", "train"))
    return pd.Series(labels, index=dates.index, name="split")
