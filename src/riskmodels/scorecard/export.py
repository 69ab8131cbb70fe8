"""Read a fitted ``optbinning.Scorecard`` into the plain spec ``CompiledScorecard`` scores with.

Bins, WoE, counts and points are taken from optbinning's own scorecard table, so the compiled
scorer reproduces ``Scorecard.score`` exactly; see ``compiled.py`` for the spec format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskmodels.scorecard.compiled import SPEC_VERSION, UNSEEN_POLICIES, SpecDict
from riskmodels.scorecard.config import UnseenCategory
from riskmodels.scorecard.scaling import ScoreScale

if TYPE_CHECKING:
    from optbinning import OptimalBinning, Scorecard


def spec_from_scorecard(scorecard: Scorecard, scale: ScoreScale, unseen_category: UnseenCategory = "missing"
                        ) -> SpecDict:
    """The spec of a fitted scorecard; ``unseen_category`` is how a category never seen in
    development will score (``compiled.py``)."""
    table = scorecard.table(style="detailed")
    process = scorecard.binning_process_
    features = []
    for name in process.get_support(names=True):
        rows = table[table["Variable"] == name].sort_values("Bin id").reset_index(drop=True)
        features.append(_feature_spec(str(name), process.get_binned_variable(name), rows))
    return {
        "spec_version": SPEC_VERSION,
        "kind": "woe_logistic_scorecard",
        "scale": scale.to_dict(),
        "intercept": float(np.ravel(scorecard.estimator_.intercept_)[0]),
        "unseen_category": UNSEEN_POLICIES[unseen_category],
        "split_rule": "a value equal to a split point falls in the bin to its right",
        "features": features,
    }


def _feature_spec(name: str, binning: OptimalBinning, rows: pd.DataFrame) -> dict[str, Any]:
    numeric = binning.dtype == "numerical"
    specials = binning.special_codes if isinstance(binning.special_codes, dict) else {}
    # optbinning's table: regular bins, one row per special-code group (one "Special" row,
    # empty, when there are none), then "Missing".
    n_special_rows = max(len(specials), 1)
    regular = rows.iloc[: len(rows) - n_special_rows - 1]
    special = rows.iloc[len(regular): len(rows) - 1]
    missing = rows.iloc[-1]
    if numeric and len(regular) != len(binning.splits) + 1:
        raise RuntimeError(f"scorecard table of {name!r} does not match its {len(binning.splits)} splits")

    bins = []
    for position, (_, row) in enumerate(regular.iterrows()):
        entry = _bin_entry(row)
        if numeric:
            entry["label"] = _interval_label(binning.splits, position)
        else:
            entry["categories"] = [_plain(c) for c in row["Bin"]]
            entry["label"] = ", ".join(str(c) for c in entry["categories"])
        bins.append(entry)
    special_bins = [] if not specials else [
        {**_bin_entry(row), "label": str(label), "codes": [_plain(c) for c in _as_list(codes)]}
        for (label, codes), (_, row) in zip(specials.items(), special.iterrows(), strict=True)]
    missing_bin = {**_bin_entry(missing), "label": "Missing"}

    every_bin = [*bins, *special_bins, missing_bin]
    counts = np.array([b["count"] for b in every_bin], dtype=float)
    points = np.array([b["points"] for b in every_bin])
    spec: dict[str, Any] = {
        "name": name,
        "type": "numeric" if numeric else "categorical",
        "coef": float(rows["Coefficient"].iloc[0]),
        "bins": bins,
        "special_bins": special_bins,
        "missing_bin": missing_bin,
        # Development-sample mean: the baseline of SHAP values and reason codes.
        "mean_points": float(counts @ points / counts.sum()),
        # Best bin any value can reach (empty special/missing bins included), so that
        # "points lost" is never negative.
        "max_points": float(points.max()),
    }
    if numeric:
        spec["splits"] = [float(s) for s in binning.splits]
    return spec


def _bin_entry(row: pd.Series) -> dict[str, Any]:
    count = int(row["Count"])
    return {
        "points": float(row["Points"]),
        "woe": float(row["WoE"]),
        "count": count,
        "event_rate": float(row["Event"]) / count if count else None,
    }


def _interval_label(splits: np.ndarray, position: int) -> str:
    edges = [-np.inf, *splits, np.inf]
    low, high = edges[position], edges[position + 1]
    return f"[{low:.6g}, {high:.6g})" if np.isfinite(low) else f"(-inf, {high:.6g})"


def _as_list(codes: Any) -> list[Any]:
    return list(codes) if isinstance(codes, (list, tuple, np.ndarray)) else [codes]


def _plain(value: Any) -> Any:
    """A JSON-able Python scalar (numpy scalars become int/float/str)."""
    return value.item() if isinstance(value, np.generic) else value
