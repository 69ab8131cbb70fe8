"""Two models on the same rows: the paired DeLong test of their AUCs, the PSI between their
score distributions, and each one's calibration (Hosmer-Lemeshow, Jeffreys by class).

``delong_paired`` is DeLong, DeLong & Clarke-Pearson (1988) computed with the fast algorithm of
Sun & Xu (2014): the structural components come from midranks (three sorts per model), so the
cost is O(n log n) instead of the O(m × n) pairs of the definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from riskmodels.evaluation._checks import target_and_pd
from riskmodels.evaluation.calibration import hosmer_lemeshow, jeffreys_test
from riskmodels.evaluation.metrics import psi


@dataclass(frozen=True)
class PairedAucTest:
    """AUC of model a against model b on the same rows (a minus b), two-sided."""

    auc_a: float
    auc_b: float
    diff: float
    se: float  # of the difference, with the covariance of the two AUCs
    z: float
    p_value: float  # two-sided: small when the AUCs differ more than chance allows


def _structural_components(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(AUC per model, placement values of each bad, of each good): Sun & Xu's midrank form.
    ``scores`` is models × rows; higher is riskier."""
    bad, good = scores[:, y == 1], scores[:, y == 0]
    m, n = bad.shape[1], good.shape[1]
    # Midranks (ties share the mean rank) within the bads, within the goods, and pooled.
    rank_bad = stats.rankdata(bad, axis=1)
    rank_good = stats.rankdata(good, axis=1)
    rank_all = stats.rankdata(np.concatenate([bad, good], axis=1), axis=1)
    aucs = (rank_all[:, :m].sum(axis=1) / m - (m + 1) / 2) / n
    v_bad = (rank_all[:, :m] - rank_bad) / n  # share of goods ranked below each bad (ties half)
    v_good = 1.0 - (rank_all[:, m:] - rank_good) / m  # share of bads ranked above each good
    return aucs, v_bad, v_good


def delong_covariance(y: ArrayLike, scores: Sequence[ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """(AUCs, their DeLong covariance matrix) of several models scored on the same rows."""
    if len(scores) < 1:
        raise ValueError("scores must hold at least one model's scores; got none")
    pairs = [target_and_pd(y, s, probability=False, both_classes=True) for s in scores]
    y_arr = pairs[0][0]
    matrix = np.vstack([p for _, p in pairs])
    m, n = int(y_arr.sum()), int(len(y_arr) - y_arr.sum())
    if m < 2 or n < 2:
        raise ValueError(f"DeLong's covariance needs at least 2 bads and 2 goods; got {m} and {n}")
    aucs, v_bad, v_good = _structural_components(y_arr, matrix)
    cov = np.atleast_2d(np.cov(v_bad, ddof=1)) / m + np.atleast_2d(np.cov(v_good, ddof=1)) / n
    return aucs, cov


def delong_paired(y: ArrayLike, score_a: ArrayLike, score_b: ArrayLike) -> PairedAucTest:
    """DeLong's test of AUC(a) = AUC(b) for two models scored on the same rows (higher =
    riskier, as a PD). Identical scores give a difference of 0 and p = 1."""
    aucs, cov = delong_covariance(y, [score_a, score_b])
    diff = float(aucs[0] - aucs[1])
    variance = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = math.sqrt(max(variance, 0.0))
    if se == 0.0:
        z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    else:
        z = diff / se
    return PairedAucTest(float(aucs[0]), float(aucs[1]), diff, se, z, float(2 * stats.norm.sf(abs(z))))


@dataclass(frozen=True)
class ScoredRows:
    """One model's answer on the compared rows: PD (higher = riskier), points when it has a
    scale (higher = safer), and its risk class per row when it has classes."""

    pd: np.ndarray
    score: np.ndarray | None = None
    classes: np.ndarray | None = None
    class_order: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Calibration:
    hl_pvalue: float  # Hosmer-Lemeshow on these rows, an independent sample (external); re-levelled if asked
    jeffreys_failures: int | None  # classes whose PD is underestimated; None without classes


@dataclass(frozen=True)
class ModelComparison:
    """A challenger against a champion on the same rows."""

    n: int
    events: int
    auc: PairedAucTest  # a = challenger, b = champion
    score_psi: float  # champion's distribution as the baseline
    challenger: Calibration
    champion: Calibration


def calibration_of(y: np.ndarray, model: ScoredRows, relevel: bool = False,
                   independent: np.ndarray | None = None) -> Calibration:
    """``independent``: the rows Hosmer-Lemeshow and Jeffreys count (``SplitData.independent``); None: every row."""
    rows = slice(None) if independent is None else independent
    hl = hosmer_lemeshow(y[rows], model.pd[rows], external=True, relevel=relevel).p_value
    failures = None
    if model.classes is not None:
        failures = len(jeffreys_test(y[rows], model.pd[rows], np.asarray(model.classes)[rows],
                                     model.class_order).failures)
    return Calibration(hl, failures)


def compare_models(y: ArrayLike, challenger: ScoredRows, champion: ScoredRows, relevel: bool = False,
                   independent: np.ndarray | None = None) -> ModelComparison:
    """The challenger against the champion on the same rows: paired DeLong on the PDs, PSI of
    the points (of the PDs when either model has no scale), calibration of each (Hosmer-Lemeshow
    on the PDs' shape alone with ``relevel``, as the gates judge through-the-cycle PDs)."""
    y_arr = np.asarray(y, dtype=int)
    for name, model in (("challenger", challenger), ("champion", champion)):
        if len(model.pd) != len(y_arr):
            raise ValueError(f"{name} must be scored on the {len(y_arr)} compared rows; got {len(model.pd)}")
    if challenger.score is not None and champion.score is not None:
        base, new = champion.score, challenger.score
    else:
        base, new = champion.pd, challenger.pd
    return ModelComparison(len(y_arr), int(y_arr.sum()), delong_paired(y_arr, challenger.pd, champion.pd),
                           psi(base, new).total, calibration_of(y_arr, challenger, relevel, independent),
                           calibration_of(y_arr, champion, relevel, independent))
