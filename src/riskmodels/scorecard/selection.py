"""Variable selection a validator can follow, one rule at a time.

Rules in order; the first a variable fails is its recorded stage and reason:

1. binning      - optbinning found a solution (a failed binning leaves a single bin);
2. iv           - information value at least ``iv_min``;
3. corr         - |Pearson r| of WoE below ``max_corr`` with every variable of higher IV that
                  is kept (greedy in decreasing IV, so of a correlated pair the lower-IV one goes);
4. vif          - VIF below ``max_vif``, dropping the highest VIF one at a time;
5. search       - forward, stepwise or backward search judged on held-out rows, up to ``max_features``
                  (``scorecard.search``); stages ``search``, ``sign`` (it could enter only with a
                  coefficient of the wrong sign), ``stepwise`` (removed for its p-value),
                  ``significance`` (backward: removed for its p-value, "backward step k") and
                  ``max_features``. With ``selection_method: none`` every survivor enters, or the
                  ``max_features`` of highest IV;
6. sign         - (``sign_rule``) after the logistic fit every coefficient has the sign WoE
                  implies: negative, since optbinning's WoE is ln(%good / %bad). Offenders go one
                  at a time, the most significant first, refitting in between: a wrong sign is
                  usually collinearity with another variable, and removing one offender can cure
                  the others;
7. significance - (``p_max``) the largest Wald p-value above ``p_max`` goes, one at a time,
                  refitting; signs are checked again after each removal. The card ends with
                  every coefficient significant.

With ``penalty: auto`` rules 5-7 use the unpenalised fit; the card's penalty is chosen afterwards
(``scorecard.choice``) and drops no characteristic.

Rules 1-4 count rows; the search and the fits of 6-7 weigh them by ``sample_weight`` (the card's
own fit does), so the p-values tested are those of the coefficient table.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskmodels.scorecard.config import ScorecardConfig
from riskmodels.scorecard.held_out import FoldWoe, check_folds
from riskmodels.scorecard.logistic import WoeLogisticRegression, variance_inflation
from riskmodels.scorecard.search import EXPECTED_COEF_SIGN, SearchResult, Trial, backward_search, search

logger = logging.getLogger(__name__)

SELECTED = "selected"
DROPPED = "dropped"
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Decision:
    stage: str
    reason: str


@dataclass(frozen=True)
class SelectionResult:
    table: pd.DataFrame  # variable, iv, status, reason, stage
    selected: list[str]
    model: WoeLogisticRegression | None  # the unpenalised (or penalty l2) logistic fit on ``selected``
    path: pd.DataFrame  # the search's steps: step, action, variable, held_out, score_statistic


def select_variables(iv: pd.Series, woe: pd.DataFrame, y: npt.NDArray[np.int64], cfg: ScorecardConfig,
                     binning_status: Mapping[str, str], sample_weight: FloatArray | None = None,
                     fold_woe: FoldWoe | None = None) -> SelectionResult:
    """Apply the rules of the module docstring to every candidate (the index of ``iv``).

    ``fold_woe``: bins the search's candidates inside each held-out fold (``fold_binning``)."""
    if cfg.selection_method != "none":
        check_folds(y, cfg)  # before any work
    dropped: dict[str, Decision] = {}
    # Candidates in decreasing IV; a stable sort keeps the configured order among ties.
    ranked = list(iv.sort_values(ascending=False, kind="stable").index)

    for name in ranked:
        if binning_status[name] not in ("OPTIMAL", "FEASIBLE"):
            dropped[name] = Decision("binning", f"binning {binning_status[name]}: single bin")
        elif iv[name] < cfg.iv_min:
            dropped[name] = Decision("iv", f"IV {_beside(iv[name], cfg.iv_min, '.3f')} < {cfg.iv_min:g}")
        elif woe[name].std() == 0:
            dropped[name] = Decision("iv", "WoE constant: one bin")
    survivors = [name for name in ranked if name not in dropped]

    survivors = _correlation_filter(woe[survivors], cfg.max_corr, dropped)
    survivors = _vif_filter(woe, survivors, cfg.max_vif, dropped)

    # penalty auto selects as penalty none would: signs and Wald p-values of the unpenalised fit.
    selection_penalty: Literal["none", "l2"] = "l2" if cfg.penalty == "l2" else "none"

    def fit(names: list[str]) -> WoeLogisticRegression:
        return WoeLogisticRegression(penalty=selection_penalty, C=cfg.C).fit(woe[names], y,
                                                                            sample_weight=sample_weight)

    path = pd.DataFrame(columns=["step", "action", "variable", "held_out", "score_statistic"])
    if cfg.selection_method == "none":
        for name in survivors[cfg.max_features:] if cfg.max_features is not None else []:
            dropped[name] = Decision("max_features", f"max_features {cfg.max_features} reached (lower IV)")
        survivors = survivors[:cfg.max_features]
    elif survivors:
        def wald_p(names: list[str]) -> pd.Series:
            return pd.Series(fit(names).p_values_[1:], index=names)

        searcher = backward_search if cfg.selection_method == "backward" else search
        found = searcher(woe[survivors], y, sample_weight, cfg, wald_p, fold_woe)
        _record_search(found, cfg, dropped)
        survivors, path = found.entered, found.path

    searched = list(survivors)
    survivors, model = _sign_and_significance(survivors, fit, cfg, dropped)
    path = _with_final_removals(path, [name for name in searched if name not in survivors], dropped)

    table = pd.DataFrame({
        "variable": ranked,
        "iv": [float(iv[name]) for name in ranked],
        "status": [DROPPED if name in dropped else SELECTED for name in ranked],
        "reason": [dropped[name].reason if name in dropped else "" for name in ranked],
        "stage": [dropped[name].stage if name in dropped else "" for name in ranked],
    })
    logger.info("selected %d of %d variables", len(survivors), len(ranked))
    # The card's characteristics in decreasing IV, as the table lists them.
    selected = [name for name in ranked if name in survivors]
    return SelectionResult(table=table, selected=selected, model=model, path=path)


def _with_final_removals(path: pd.DataFrame, removed: list[str], dropped: Mapping[str, Decision]) -> pd.DataFrame:
    """The path with a row per characteristic the sign and significance rules removed after the
    search, in the order removed (action ``remove: sign`` or ``remove: significance``; no held-out
    figure), so that it ends on the card's characteristics."""
    if not removed:
        return path
    order = sorted(removed, key=list(dropped).index)  # dict order: the order of removal
    first = int(path["step"].max()) + 1 if len(path) else 1
    rows = pd.DataFrame([{"step": first + i, "action": f"remove: {dropped[name].stage}", "variable": name,
                          "held_out": math.nan, "score_statistic": math.nan} for i, name in enumerate(order)])
    return rows if path.empty else pd.concat([path, rows], ignore_index=True)


def _record_search(found: SearchResult, cfg: ScorecardConfig, dropped: dict[str, Decision]) -> None:
    metric = "AUC" if cfg.selection_metric == "roc_auc" else "-log-loss"
    for name, (stage, reason) in found.removed.items():
        dropped[name] = Decision(stage, reason)
    for name, trial in found.trials.items():
        dropped[name] = _search_decision(name, trial, found.stopped_by_cap, cfg, metric)


def _search_decision(name: str, trial: Trial, capped: bool, cfg: ScorecardConfig, metric: str) -> Decision:
    if capped:
        return Decision("max_features", f"max_features {cfg.max_features} reached")
    if trial.wrong_sign is not None:
        whose, coef = trial.wrong_sign
        if whose == name:
            return Decision("sign", f"could enter only with a coefficient against its WOE "
                                    f"(held-out coef {coef:+.3f}, step {trial.step})")
        return Decision("sign", f"entering turns the coefficient of {whose} against its WOE "
                                f"(held-out coef {coef:+.3f}, step {trial.step})")
    if trial.gain is not None:
        return Decision("search", f"held-out {metric} gain {trial.gain:+.4f} <= min_gain {cfg.min_gain:g} "
                                  f"(step {trial.step})")
    return Decision("search", f"score statistic {trial.score:.1f} below the {metric} trials of step {trial.step}")


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


def _sign_and_significance(names: list[str], fit: Callable[[list[str]], WoeLogisticRegression],
                           cfg: ScorecardConfig, dropped: dict[str, Decision]
                           ) -> tuple[list[str], WoeLogisticRegression | None]:
    """Rules 6 and 7: one removal per refit, a wrong sign before an insignificant one."""
    kept = list(names)
    while kept:
        model = fit(kept)
        coef = model.coef_[0]
        # A penalised fit has no standard errors: its offenders are ranked by coefficient.
        strength = coef / model.std_err_[1:] if model.penalty == "none" else coef
        signed = EXPECTED_COEF_SIGN * strength
        if cfg.sign_rule and signed.min() < 0:
            worst = kept[int(np.argmin(signed))]
            dropped[worst] = Decision(
                "sign", f"coefficient sign inconsistent with WOE (coef {coef[kept.index(worst)]:+.3f})")
        elif cfg.p_max is not None and not (model.p_values_[1:] <= cfg.p_max).all():
            # A p-value that is NaN (a fit that failed to invert) is no evidence: it goes first.
            position = int(np.argmax(np.nan_to_num(model.p_values_[1:], nan=np.inf)))
            worst = kept[position]
            dropped[worst] = Decision("significance",
                                      f"Wald p {_beside(model.p_values_[1 + position], cfg.p_max, '.3g')} > "
                                      f"p_max {cfg.p_max:g}")
        else:
            return kept, model
        kept.remove(worst)
    return kept, None


def _beside(value: float, threshold: float, spec: str) -> str:
    """``value`` in ``spec``, with more digits where it would read as the threshold it is
    compared with ("IV 0.019 < 0.019")."""
    shown = format(value, spec)
    return format(value, ".6g") if shown == format(threshold, spec) or float(shown) == threshold else shown
