"""Fit the second score's settings on simulated (or collected) field findings.

``fit_norms``: each activity ratio's median, per industry and overall. ``fit_logit``: a
logistic regression of the outcome on the A card's log-odds of bad and the five finding
features, refitted without any feature whose coefficient comes out with the wrong sign, so a
better finding never lowers the score (the settings refuse such a coefficient anyway).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression

from riskmodels.policy.diligence import ACTIVITY, FEATURES, LogitScore, Norms

Floats = npt.NDArray[np.float64]
MIN_INDUSTRY_ROWS = 50  # fewer rows than this: the industry takes the overall norm


def fit_norms(ratios: Mapping[str, Floats], industry: npt.ArrayLike) -> dict[str, Norms]:
    """Each activity ratio's median (``raw_ratios``), per industry with enough observations."""
    out = {}
    for name in ACTIVITY:
        frame = pd.DataFrame({"ratio": ratios[name], "industry": np.asarray(industry, dtype=object)}).dropna()
        if frame.empty:
            raise ValueError(f"ratios[{name!r}] must have observed values; got none")
        counts = frame.groupby("industry")["ratio"].agg(["median", "size"])
        kept = counts[counts["size"] >= MIN_INDUSTRY_ROWS]
        out[name] = Norms(overall=round(float(frame["ratio"].median()), 4),
                          by_industry={str(k): round(float(v), 4) for k, v in kept["median"].items()})
    return out


def _wrong_sign(name: str, value: float) -> bool:
    return value < 0 if name == "site_not_verified" else value > 0


def fit_logit(a_card_log_odds: Floats, features: Mapping[str, Floats], bad: npt.ArrayLike) -> LogitScore:
    """Outcome ~ A card's log-odds of bad + the finding features (unpenalised), signs enforced."""
    y = np.asarray(bad, dtype=int)
    if len(np.unique(y)) != 2:
        raise ValueError(f"bad must hold both outcomes (0 and 1); got {sorted(set(y.tolist()))}")
    kept = list(FEATURES)
    while True:
        x = np.column_stack([a_card_log_odds, *(features[name] for name in kept)])
        model = LogisticRegression(penalty=None, max_iter=1000).fit(x, y)
        coefficients = dict(zip(kept, (float(c) for c in model.coef_[0][1:]), strict=True))
        wrong = [name for name, value in coefficients.items() if _wrong_sign(name, value)]
        if not wrong:
            break
        kept.remove(max(wrong, key=lambda name: abs(coefficients[name])))
    return LogitScore(intercept=round(float(model.intercept_[0]), 5), a_card=round(float(model.coef_[0][0]), 5),
                      coefficients={name: round(coefficients.get(name, 0.0), 5) for name in FEATURES})
