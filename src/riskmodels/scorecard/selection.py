"""Variable selection a validator can follow, one rule at a time.

Rules in order; the first a variable fails is its recorded reason:

1. binning  - optbinning found a solution (a failed binning leaves a single bin);
2. iv       - information value at least ``iv_min``;
3. corr     - |Pearson r| of WoE below ``max_corr`` with every variable of higher IV that is
              kept (greedy in decreasing IV, so of a correlated pair the lower-IV one goes);
4. vif      - VIF below ``max_vif``, dropping the highest VIF one at a time;
5. sign     - after the logistic fit every coefficient has the sign WoE implies. optbinning's
              WoE is ln(%good / %bad), so it falls as risk rises and the coefficient of the
              event (bad) must be negative. Offenders go one at a time, the most significant
              first, refitting in between: a wrong sign is usually collinearity with another
              variable, and removing one offender can cure the others.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskmodels.scorecard.config import ScorecardConfig
from riskmodels.scorecard.logistic import WoeLogisticRegression, variance_inflation

logger = logging.getLogger(__name__)

SELECTED = "selected"
DROPPED = "dropped"
# Sign a WoE coefficient must have (see rule 5).
EXPECTED_COEF_SIGN = -1.0


@dataclass(frozen=True)
class Decision:
    stage: str
    reason: str


@dataclass(frozen=True)
class SelectionResult:
    table: pd.DataFrame  # variable, iv, status, reason, stage
    selected: list[str]
    model: WoeLogisticRegression | None  # the logistic fit on ``selected``


def select_variables(iv: pd.Series, woe: pd.DataFrame, y: npt.NDArray[np.int64],
                     cfg: ScorecardConfig, binning_status: Mapping[str, str]) -> SelectionResult:
    """Apply the rules of the module docstring to every candidate (the index of ``iv``)."""
    dropped: dict[str, Decision] = {}
    # Candidates in decreasing IV; a stable sort keeps the configured order among ties.
    ranked = list(iv.sort_values(ascending=False, kind="stable").index)

    for name in ranked:
        if binning_status[name] not in ("OPTIMAL", "FEASIBLE"):
            dropped[name] = Decision("binning", f"binning {binning_status[name]}: single bin")
        elif iv[name] < cfg.iv_min:
            dropped[name] = Decision("iv", f"IV {iv[name]:.3f} < {cfg.iv_min:g}")
        elif woe[name].std() == 0:
            dropped[name] = Decision("iv", "WoE constant: one bin")
    survivors = [name for name in ranked if name not in dropped]

    survivors = _correlation_filter(woe[survivors], cfg.max_corr, dropped)
    survivors = _vif_filter(woe, survivors, cfg.max_vif, dropped)
    survivors, model = _sign_filter(woe, y, survivors, dropped)

    table = pd.DataFrame({
        "variable": ranked,
        "iv": [float(iv[name]) for name in ranked],
        "status": [DROPPED if name in dropped else SELECTED for name in ranked],
        "reason": [dropped[name].reason if name in dropped else "" for name in ranked],
        "stage": [dropped[name].stage if name in dropped else "" for name in ranked],
    })
    logger.info("selected %d of %d variables", len(survivors), len(ranked))
    return SelectionResult(table=table, selected=survivors, model=model)


def _correlation_filter(woe: pd.DataFrame, max_corr: float,
                        dropped: dict[str, Decision]) -> list[str]:
    """Keep a variable (columns come in decreasing IV) unless it correlates with a kept one."""
    corr = woe.corr(method="pearson").abs()
    kept: list[str] = []
    for name in woe.columns:
        if kept:
            partner = cast(str, corr.loc[name, kept].idxmax())  # a column label
            r = cast(float, corr.loc[name, partner])  # pandas types a cell as any scalar
            if r >= max_corr:
                dropped[name] = Decision("corr", f"corr {r:.2f} with {partner} (higher IV)")
                continue
        kept.append(name)
    return kept


def _vif_filter(woe: pd.DataFrame, names: list[str], max_vif: float,
                dropped: dict[str, Decision]) -> list[str]:
    kept = list(names)
    while len(kept) > 1:
        vif = variance_inflation(woe[kept])
        worst = cast(str, vif.idxmax())  # a column label
        if vif[worst] < max_vif:
            break
        dropped[worst] = Decision("vif", f"VIF {vif[worst]:.1f} >= {max_vif:g}")
        kept.remove(worst)
    return kept


def _sign_filter(woe: pd.DataFrame, y: npt.NDArray[np.int64], names: list[str],
                 dropped: dict[str, Decision]) -> tuple[list[str], WoeLogisticRegression | None]:
    kept = list(names)
    while kept:
        model = WoeLogisticRegression().fit(woe[kept], y)
        signed_z = EXPECTED_COEF_SIGN * model.coef_[0] / model.std_err_[1:]
        if signed_z.min() >= 0:
            return kept, model
        worst = kept[int(np.argmin(signed_z))]
        coef = model.coef_[0][kept.index(worst)]
        dropped[worst] = Decision("sign", f"coefficient sign inconsistent with WOE (coef {coef:+.3f})")
        kept.remove(worst)
    return kept, None
