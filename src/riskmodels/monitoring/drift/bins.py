"""Which of its scorecard's bins each value of a characteristic falls in.

The rules are the compiled spec's (``riskmodels.scorecard.compiled``): a value equal to a split
falls in the bin to its right, special codes have their own bins, and a missing value or a
category unseen in development falls in the missing bin. CSI is then counted on exactly the bins
the scorecard gives points to, not on bins re-cut for monitoring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

MISSING_LABEL = "Missing"


def bin_order(feature: Mapping[str, Any]) -> list[str]:
    """Every bin of the characteristic, in the scorecard's order: regular, special, missing."""
    labels = [str(b["label"]) for b in feature["bins"]] + [str(b["label"]) for b in feature["special_bins"]]
    return [*labels, MISSING_LABEL]


def _numeric(column: pd.Series, name: str) -> np.ndarray:
    try:
        return pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"characteristic {name!r} must be numeric; {exc}") from exc


def bin_labels(feature: Mapping[str, Any], column: pd.Series) -> np.ndarray:
    """The bin label of every row (object array, never missing: the missing bin is a bin)."""
    name = str(feature["name"])
    regular = np.array([str(b["label"]) for b in feature["bins"]], dtype=object)
    if feature["type"] == "numeric":
        values = _numeric(column, name)
        out = regular[np.searchsorted(np.asarray(feature["splits"], dtype=float), values, side="right")]
        for special in feature["special_bins"]:
            out[np.isin(values, np.asarray(special["codes"], dtype=float))] = str(special["label"])
        out[np.isnan(values)] = MISSING_LABEL
        return out
    of_category = {c: str(b["label"]) for b in feature["bins"] for c in b["categories"]}
    mapped = column.astype(object).map(of_category)
    return mapped.where(mapped.notna(), MISSING_LABEL).to_numpy(dtype=object)


def missing_share(column: pd.Series) -> float:
    return float(column.isna().mean()) if len(column) else float("nan")


def special_share(feature: Mapping[str, Any], column: pd.Series) -> float | None:
    """Share of rows carrying one of the characteristic's special codes (None: it has none)."""
    codes = [c for b in feature["special_bins"] for c in b["codes"]]
    if not codes or feature["type"] != "numeric":
        return None
    return float(np.isin(_numeric(column, str(feature["name"])), np.asarray(codes, dtype=float)).mean())
