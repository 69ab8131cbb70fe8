"""Forward and stepwise search for the characteristics of a card, judged on held-out rows.

The held-out criterion is the mean over stratified k folds of the training rows of minus the
log-loss (or the AUC) of a logistic fit on the other folds. Each step ranks the candidates left
by their score statistic for entry (Rao's, on the current fit: the order SAS's stepwise enters
in), tries the first ``TRIED_PER_STEP`` whose coefficients keep the sign their WoE implies, and
enters the one that raises the criterion most, if by more than ``min_gain``. With the sign rule,
a candidate whose entry turns one entered coefficient against its WoE (that one was a proxy of
it and another) is tried in its place. The search stops when no candidate tried raises the
criterion or ``max_features`` are in. ``stepwise`` also removes, after each entry, the entered
characteristic with the largest Wald p-value above ``p_max`` (one at a time, refitting). A
removed characteristic does not come back.

With ``fold_binning`` the held-out fits use WoE binned on each fold's training rows only
(``binning.woe_in_folds``); otherwise the WoE of the bins fitted on every training row, which
have seen the held-out rows and so flatter a characteristic with overfitted bins.

Above ``MAX_SEARCH_ROWS`` training rows, the held-out fits and the score statistic work on a
stratified subsample of that many rows (with 5 folds, 200,000 held-out rows each), which bounds
their memory and time: on every row of a million-application B card (4.3M snapshots) the fold
fits held a copy of the candidates' WoE per fold and took most of its training time. The card's
own fits, and so its Wald p-values, coefficients and points, use every row.

The score statistic only orders the candidates and the held-out fits only choose between them:
neither is reported. The coefficients, standard errors and p-values of the card come from
statsmodels (``scorecard.logistic``).

``backward`` starts from every candidate instead and removes one at a time, refitting: first the
largest Wald p above ``p_max`` (as long as one is), then the characteristic whose removal raises
the held-out criterion most, while that gain is at least ``REMOVAL_SE`` standard errors above
``-min_gain`` (the held-out rows show its removal does not hurt), or while more than
``max_features`` are in. Its folds are the ``cv_folds`` repeated ``BACKWARD_REPEATS`` times, and the
standard error of the mean paired gain is Nadeau and Bengio's, corrected for the training rows the
folds share. A characteristic too weak to enter a forward search alone (or ranked behind a proxy
by the score statistic) is judged there beside all the others, and one that is Wald-significant
is not removed on the noise of a few folds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, StratifiedShuffleSplit

from riskmodels.scorecard.config import ScorecardConfig

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Bins the named characteristics inside each fold: per fold, the WoE of its (train, test) rows.
FoldWoe = Callable[[list[str], list[tuple[IntArray, IntArray]]], list[tuple[FloatArray, FloatArray]]]
# Sign a WoE coefficient must have: optbinning's WoE is ln(%good / %bad), so it falls as risk
# rises, and the coefficient of the event (bad) must be negative.
EXPECTED_COEF_SIGN = -1.0
# Candidates judged on held-out rows at each step, in score order. One would trust the score
# statistic's order entirely; every candidate would let the held-out noise pick among the weak (and
# cost 8x the time). Measured on three simulated A cards: 1 lost 0.002 of the oracle's OOT AUC,
# 5 was level with 3.
TRIED_PER_STEP = 3
# Backward removes a characteristic on held-out evidence only when the paired gain of removing it
# is this many (corrected) standard errors above -min_gain. Measured on the real-data benchmark
# (backward, iv_min 0, trend auto, fold_binning, penalty auto; engine - optbinning over 10 folds):
# the point estimate alone (the rule before) removed German's weak-but-real characteristics on fold
# noise (-0.0243, 7.6 characteristics); 1 corrected standard error keeps them (-0.0028, 11.5) and
# still removes the UCI sample's bill amount (+0.0000, 2.5). The naive sd / sqrt(n): German -0.0066.
REMOVAL_SE = 1.0
# Backward judges its removals on the cv_folds folds repeated (reshuffled) this many times: one
# repeat (10 fits fewer per trial) cost the UCI sample 0.0003.
BACKWARD_REPEATS = 2
# Training rows the held-out search judges on at most (a stratified subsample above it; module
# docstring). A 200k-application book's B card (870k snapshots) is judged on every row.
MAX_SEARCH_ROWS = 1_000_000
# Rows per pass of the score statistic's sums (about 2 MB per candidate column per pass).
SCORE_CHUNK_ROWS = 1 << 18


@dataclass(frozen=True)
class Trial:
    """A candidate as last tried: its held-out gain, or why it could not enter."""

    step: int
    gain: float | None = None  # None: not judged on held-out rows at that step
    # With it, this characteristic's mean held-out coefficient had the wrong sign (it may be itself).
    wrong_sign: tuple[str, float] | None = None
    score: float = math.nan


@dataclass
class SearchResult:
    entered: list[str]
    removed: dict[str, tuple[str, str]] = field(default_factory=dict)  # entered, then out: (stage, reason)
    trials: dict[str, Trial] = field(default_factory=dict)  # candidates never entered
    stopped_by_cap: bool = False
    path: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class HeldOut:
    """The held-out criterion (higher is better) of logistic fits on columns of ``woe``.

    ``fold_woe`` (one (train rows, test rows) pair of WoE matrices per fold, binned on the
    fold's training rows): the fits and scores use it instead of ``woe``, whose bins saw the
    held-out rows too and so flatter a characteristic with overfitted bins.

    ``from_config`` above ``MAX_SEARCH_ROWS``: ``woe``, ``y``, ``weight`` and ``folds`` are the
    subsample's (a copy of its rows), not the caller's."""

    woe: FloatArray
    y: IntArray
    weight: FloatArray | None
    folds: list[tuple[IntArray, IntArray]]
    metric: str
    C: float
    fold_woe: list[tuple[FloatArray, FloatArray]] | None = None
    # Per (fold, columns fitted): the fit's (coefficients, intercept). A fit of those columns plus
    # one starts from it, the new coefficient at 0: the search adds one column at a time.
    fits: dict[tuple[int, tuple[int, ...]], tuple[FloatArray, float]] = field(default_factory=dict)
    # Per (fold, column): whether the column takes more than one value on the fold's training rows.
    varies: dict[tuple[int, int], bool] = field(default_factory=dict)

    @classmethod
    def from_config(cls, woe: pd.DataFrame, y: IntArray, weight: FloatArray | None, cfg: ScorecardConfig,
                    fold_woe: FoldWoe | None = None, repeats: int = 1) -> HeldOut:
        rows = stratified_subsample(y, MAX_SEARCH_ROWS, cfg.random_state)
        matrix = woe.to_numpy(dtype=float)
        if len(rows) < len(y):
            logger.info("held-out search on a stratified %s of %s training rows", f"{len(rows):,}", f"{len(y):,}")
            matrix, y, weight = _rows_of(matrix, rows), y[rows], None if weight is None else weight[rows]
        # Each fit gathers its few columns' fold rows: from column order about 3x faster.
        matrix = np.asfortranarray(matrix)
        folds = stratified_folds(y, cfg, repeats=repeats)
        # fold_woe bins the caller's rows: its folds are given in their positions.
        binned = None if fold_woe is None else fold_woe(list(woe.columns), [(rows[a], rows[b]) for a, b in folds])
        # penalty auto selects with the unpenalised fit; its penalty is chosen afterwards.
        return cls(matrix, y, weight, folds, cfg.selection_metric, cfg.C if cfg.penalty == "l2" else math.inf, binned)

    def __call__(self, columns: Sequence[int]) -> tuple[float, FloatArray]:
        """(mean criterion over the folds, mean coefficient of each column over the folds)."""
        values, mean_coef = self.fold_values(columns)
        return float(np.mean(values)), mean_coef

    def fold_values(self, columns: Sequence[int]) -> tuple[FloatArray, FloatArray]:
        """(the criterion on each fold, mean coefficient of each column over the folds; a column
        binned into one bin on a fold carries nothing there, and its coefficient counts as 0)."""
        values = np.zeros(len(self.folds))
        mean_coef = np.zeros(len(columns))
        cols = np.asarray(columns, dtype=np.intp)
        for k, (train, test) in enumerate(self.folds):
            w_train = None if self.weight is None else self.weight[train]
            w_test = None if self.weight is None else self.weight[test]
            varying = np.array([self._varies(k, j) for j in cols], dtype=bool)
            if varying.any():
                used = cols[varying]
                if self.fold_woe is None:
                    columns_used = self.woe[:, used]
                    x_train, x_test = columns_used[train], columns_used[test]
                else:
                    x_train, x_test = self.fold_woe[k][0][:, used], self.fold_woe[k][1][:, used]
                fitted = tuple(used.tolist())
                start = self.fits.get((k, fitted[:-1]))
                coef, intercept, prob = held_out_fit(self.C, x_train, self.y[train], w_train, x_test, start)
                self.fits[(k, fitted)] = (coef, intercept)
                mean_coef[varying] += coef / len(self.folds)
            else:
                prob = np.full(len(test), np.average(self.y[train], weights=w_train))
            values[k] = criterion(self.metric, self.y[test], prob, w_test)
        return values, mean_coef

    def _varies(self, fold: int, column: int) -> bool:
        """A column binned into one bin on a fold's training rows carries nothing there."""
        if (fold, column) not in self.varies:
            values = (self.woe[:, column][self.folds[fold][0]] if self.fold_woe is None
                      else self.fold_woe[fold][0][:, column])
            self.varies[(fold, column)] = bool(values.max() > values.min())
        return self.varies[(fold, column)]


def _rows_of(matrix: FloatArray, rows: npt.NDArray[np.int64]) -> FloatArray:
    """``matrix[rows]`` in column order, built a column at a time (no second copy of the rows)."""
    out = np.empty((len(rows), matrix.shape[1]), order="F")
    for j in range(matrix.shape[1]):
        out[:, j] = matrix[:, j][rows]
    return out


def stratified_folds(y: IntArray, cfg: ScorecardConfig, purpose: str = "", repeats: int = 1
                     ) -> list[tuple[IntArray, IntArray]]:
    """The ``cv_folds`` stratified folds (train rows, test rows) every held-out judgement uses,
    ``repeats`` times over (reshuffled; the first repeat is the unrepeated folds)."""
    check_folds(y, cfg, purpose)
    splitter = (StratifiedKFold(n_splits=cfg.cv_folds, shuffle=True, random_state=cfg.random_state) if repeats == 1
                else RepeatedStratifiedKFold(n_splits=cfg.cv_folds, n_repeats=repeats, random_state=cfg.random_state))
    return [(train.astype(np.int64), test.astype(np.int64)) for train, test in splitter.split(np.zeros(len(y)), y)]


def criterion(metric: str, y: IntArray, prob: FloatArray, weight: FloatArray | None) -> float:
    """The held-out criterion, higher is better: the AUC or minus the log-loss.

    Both are computed here on the arrays the fits gave (equal to scikit-learn's ``roc_auc_score``
    and ``log_loss`` to rounding, which the tests check): scikit-learn's checks of its inputs took
    a quarter of the held-out search's time on a 50,000-application A card."""
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    if metric == "roc_auc":
        return _auc(y, prob, w)
    eps = np.finfo(float).eps  # each class's probability clipped as scikit-learn clips it
    log_bad, log_good = np.log(np.clip(prob, eps, 1 - eps)), np.log(np.clip(1 - prob, eps, 1 - eps))
    return float(np.average(np.where(y == 1, log_bad, log_good), weights=w))


def _auc(y: IntArray, prob: FloatArray, w: FloatArray) -> float:
    """Weighted AUC, ties counting half: over the distinct probabilities in rising order, each
    one's bad weight times the good weight below it plus half the good weight at it."""
    order = np.argsort(prob, kind="stable")
    p, bad = prob[order], w[order] * y[order]
    good = w[order] - bad
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    bad_at, good_at = np.add.reduceat(bad, starts), np.add.reduceat(good, starts)
    good_below = np.cumsum(good_at) - good_at
    return float((bad_at * (good_below + 0.5 * good_at)).sum() / (bad_at.sum() * good_at.sum()))


def stratified_subsample(y: IntArray, max_rows: int, seed: int) -> npt.NDArray[np.int64]:
    """Positions of at most ``max_rows`` rows, in order, with ``y``'s event rate (all rows if fewer)."""
    if len(y) <= max_rows:
        return np.arange(len(y), dtype=np.int64)
    split = StratifiedShuffleSplit(n_splits=1, train_size=max_rows, random_state=seed)
    rows, _ = next(split.split(np.zeros(len(y)), y))
    return np.sort(rows).astype(np.int64)


def check_folds(y: IntArray, cfg: ScorecardConfig, purpose: str = "") -> None:
    """Each held-out fold needs both classes."""
    smallest = int(np.bincount(y, minlength=2).min())
    if smallest < cfg.cv_folds:
        purpose = purpose or f"the held-out search (selection_method {cfg.selection_method!r})"
        raise ValueError(f"each class must have at least cv_folds={cfg.cv_folds} rows for {purpose}; got {smallest}")


def logistic(C: float) -> LogisticRegression:
    """scikit-learn's logistic regression for the held-out fits (C inf: unpenalised). Its
    tolerance on the gradient is 1e-6, not the default 1e-4: a fit warm-started near the optimum
    meets 1e-4 after one Newton step, with coefficients still 2e-4 away from it (cold fits
    overshoot the default by far); at 1e-6 a warm fit takes two steps and lands within 1e-7."""
    return LogisticRegression(C=C, l1_ratio=0.0, solver="newton-cholesky", tol=1e-6, max_iter=200)


def held_out_fit(C: float, x_train: FloatArray, y_train: IntArray, w_train: FloatArray | None,
                 x_test: FloatArray, start: tuple[FloatArray, float] | None = None
                 ) -> tuple[FloatArray, float, FloatArray]:
    """(coefficients, intercept, PDs of the test rows) of one held-out fit.

    ``start``: the fit of all the columns but the last, whose coefficient starts at 0 (the
    solver's warm start; Newton's steps from there are fewer). The search makes thousands of
    these fits on finite WoE it built itself, so scikit-learn's per-call checks of its parameters
    and of finite inputs are skipped (``config_context``)."""
    model = logistic(C)
    if start is not None:
        model.set_params(warm_start=True)
        model.coef_, model.intercept_ = np.append(start[0], 0.0)[None, :], np.array([start[1]])
    with config_context(assume_finite=True, skip_parameter_validation=True):
        model.fit(x_train, y_train, sample_weight=w_train)
        prob = model.predict_proba(x_test)[:, 1]
    return model.coef_[0], float(model.intercept_[0]), prob


def score_statistics(woe: FloatArray, y: IntArray, weight: FloatArray | None, kept: Sequence[int],
                     candidates: Sequence[int], C: float) -> FloatArray:
    """Rao's score statistic for adding each candidate alone to the fit on ``kept``:
    U^2 / V, U the log-likelihood's slope in the candidate's direction at the current fit,
    V its information net of what the kept columns explain. Used to order candidates only.

    Every term is a sum over rows, accumulated over ``SCORE_CHUNK_ROWS`` rows at a time: the
    rows-by-candidates temporaries of one pass held several copies of the candidate matrix
    (4 GB on a million-application B card)."""
    w = np.ones(len(y)) if weight is None else weight
    if kept:
        prob = logistic(C).fit(woe[:, kept], y, sample_weight=weight).predict_proba(woe[:, kept])[:, 1]
    else:
        prob = np.full(len(y), np.average(y, weights=w))
    info_weight = w * prob * (1.0 - prob)
    residual = w * (y - prob)
    base_cols = np.asarray(kept, dtype=np.intp)
    extra_cols = np.asarray(candidates, dtype=np.intp)
    slope = np.zeros(len(extra_cols))
    cross = np.zeros((len(base_cols) + 1, len(extra_cols)))
    base_info = np.zeros((len(base_cols) + 1, len(base_cols) + 1))
    extra_info = np.zeros(len(extra_cols))
    for start in range(0, len(y), SCORE_CHUNK_ROWS):
        rows = slice(start, start + SCORE_CHUNK_ROWS)
        chunk = woe[rows]
        base = np.column_stack([np.ones(chunk.shape[0]), chunk[:, base_cols]])
        extra = chunk[:, extra_cols]
        weighted = extra * info_weight[rows, None]
        slope += extra.T @ residual[rows]
        cross += base.T @ weighted
        base_info += base.T @ (base * info_weight[rows, None])
        extra_info += np.einsum("ij,ij->j", extra, weighted)
    explained = np.sum(cross * np.linalg.lstsq(base_info, cross, rcond=None)[0], axis=0)
    net_info = extra_info - explained
    with np.errstate(divide="ignore", invalid="ignore"):  # a candidate the kept ones explain: 0
        return np.where(net_info > 1e-12 * extra_info, slope ** 2 / net_info, 0.0)


def search(woe: pd.DataFrame, y: IntArray, weight: FloatArray | None, cfg: ScorecardConfig,
           wald_p: Callable[[list[str]], pd.Series], fold_woe: FoldWoe | None = None) -> SearchResult:
    """Forward or stepwise search (module docstring) over the columns of ``woe``.

    ``wald_p(names)``: the Wald p-values of the card's own fit on ``names`` (stepwise removal);
    ``fold_woe``: bins the candidates inside each fold for the held-out fits (None: ``woe``'s bins)."""
    names = list(woe.columns)
    held_out = HeldOut.from_config(woe, y, weight, cfg, fold_woe)
    cap = cfg.max_features if cfg.max_features is not None else len(names)
    kept: list[int] = []
    out: set[int] = set()  # removed: never re-enter
    current, _ = held_out(kept)
    result = SearchResult(entered=[])
    path = [{"step": 0, "action": "start", "variable": "", "held_out": current, "score_statistic": math.nan}]
    step = 0
    while True:
        remaining = [j for j in range(len(names)) if j not in kept and j not in out]
        if not remaining:
            break
        if len(kept) >= cap:
            result.stopped_by_cap = True
            break
        step += 1
        scores = score_statistics(held_out.woe, held_out.y, held_out.weight, kept, remaining, held_out.C)
        score_of = dict(zip(remaining, scores.tolist(), strict=True))
        best: tuple[float, int, int | None] | None = None  # held-out value, entering, swapped out
        tried = 0
        for j in [remaining[i] for i in np.argsort(-scores, kind="stable")]:
            if tried == TRIED_PER_STEP:
                result.trials[names[j]] = Trial(step, score=score_of[j])
                continue
            value, swap, wrong = _judge(held_out, kept, j, cfg.sign_rule)
            if wrong is not None:
                result.trials[names[j]] = Trial(step, wrong_sign=(names[wrong[0]], wrong[1]), score=score_of[j])
                continue
            tried += 1
            result.trials[names[j]] = Trial(step, gain=value - current, score=score_of[j])
            if best is None or value > best[0]:
                best = (value, j, swap)
        if best is None or best[0] - current <= cfg.min_gain:
            break
        current, entering, swap = best
        kept.append(entering)
        del result.trials[names[entering]]
        path.append({"step": step, "action": "enter", "variable": names[entering], "held_out": current,
                     "score_statistic": score_of[entering]})
        if swap is not None:
            kept.remove(swap)
            out.add(swap)
            result.removed[names[swap]] = ("sign", f"its coefficient turned against its WOE when {names[entering]} "
                                                   f"entered (step {step})")
            path.append({"step": step, "action": "remove", "variable": names[swap], "held_out": current,
                         "score_statistic": math.nan})
        if cfg.selection_method == "stepwise" and cfg.p_max is not None:
            current = _stepwise_removals(names, kept, out, cfg.p_max, wald_p, held_out, result, path, step, current)
    result.entered = [names[j] for j in kept]
    result.path = pd.DataFrame(path)
    return result


def backward_search(woe: pd.DataFrame, y: IntArray, weight: FloatArray | None, cfg: ScorecardConfig,
                    wald_p: Callable[[list[str]], pd.Series], fold_woe: FoldWoe | None = None) -> SearchResult:
    """Backward elimination (module docstring) over the columns of ``woe``; arguments as ``search``."""
    names = list(woe.columns)
    held_out = HeldOut.from_config(woe, y, weight, cfg, fold_woe, BACKWARD_REPEATS)
    cap = cfg.max_features if cfg.max_features is not None else len(names)
    metric = "AUC" if cfg.selection_metric == "roc_auc" else "-log-loss"
    kept = list(range(len(names)))
    current, _ = held_out.fold_values(kept)
    result = SearchResult(entered=[])
    path = [{"step": 0, "action": "start", "variable": "", "held_out": float(current.mean()),
             "score_statistic": math.nan}]
    step = 0
    while len(kept) > 1:
        step += 1
        p_values = wald_p([names[j] for j in kept]) if cfg.p_max is not None else None
        if p_values is not None and p_values.max() > cast(float, cfg.p_max):
            worst = str(p_values.idxmax())
            gone = names.index(worst)
            current, _ = held_out.fold_values([j for j in kept if j != gone])
            result.removed[worst] = ("significance", f"Wald p {p_values[worst]:.3g} > p_max {cfg.p_max:g} "
                                                     f"(backward step {step})")
        else:
            without = [held_out.fold_values([k for k in kept if k != j])[0] for j in kept]
            gains = [Removal.of(values - current, cfg.cv_folds) for values in without]
            best = max(range(len(kept)), key=lambda i: gains[i].mean)
            gain = gains[best]
            if not gain.clears(cfg.min_gain) and len(kept) <= cap:
                break
            gone = kept[best]
            current = without[best]
            result.removed[names[gone]] = (
                ("search", f"removing it raises the held-out {metric} by {gain.mean:+.4f}, at least "
                           f"{REMOVAL_SE:g} standard error ({gain.se:.4f}) above -min_gain {cfg.min_gain:g} "
                           f"(backward step {step})")
                if gain.clears(cfg.min_gain) else
                ("max_features", f"max_features {cfg.max_features} exceeded; the least held-out {metric} "
                                 f"loss when removed ({-gain.mean:+.4f}, backward step {step})"))
        kept.remove(gone)
        path.append({"step": step, "action": "remove", "variable": names[gone], "held_out": float(current.mean()),
                     "score_statistic": math.nan})
    result.entered = [names[j] for j in kept]
    result.path = pd.DataFrame(path)
    return result


@dataclass(frozen=True)
class Removal:
    """The held-out gain of removing one characteristic, paired over the folds."""

    mean: float
    se: float  # standard error of the mean of the folds' paired gains

    @classmethod
    def of(cls, fold_gains: FloatArray, cv_folds: int) -> Removal:
        """Nadeau and Bengio's corrected standard error (Machine Learning 52, 2003): folds share
        training rows, so their gains are correlated and the naive sd / sqrt(n) is too small;
        the variance of the mean is sd^2 (1/n + n_test/n_train), n_test/n_train = 1/(cv_folds-1)."""
        sd = float(fold_gains.std(ddof=1))
        return cls(float(fold_gains.mean()), sd * math.sqrt(1.0 / len(fold_gains) + 1.0 / (cv_folds - 1)))

    def clears(self, min_gain: float) -> bool:
        """Removal pays: the gain is at least ``REMOVAL_SE`` standard errors above minus ``min_gain``."""
        return self.mean - REMOVAL_SE * self.se >= -min_gain


def _judge(held_out: HeldOut, kept: list[int], j: int, sign_rule: bool
           ) -> tuple[float, int | None, tuple[int, float] | None]:
    """Held-out value of entering ``j``: (value, the kept column swapped out for it or None,
    None), or (nan, None, (column, coefficient)) when the sign rule bars it.

    If entering ``j`` turns one kept coefficient against its WoE (a proxy of ``j`` and another
    characteristic), ``j`` may enter in its place, when that fit keeps every sign."""
    members = [*kept, j]
    value, coef = held_out(members)
    signed = EXPECTED_COEF_SIGN * coef
    if not sign_rule or signed.min() > 0:
        return value, None, None
    if signed[-1] <= 0:  # its own sign is wrong
        return math.nan, None, (j, float(coef[-1]))
    turned = members[int(np.argmin(signed))]
    without = [m for m in members if m != turned]
    swapped_value, swapped_coef = held_out(without)
    if (EXPECTED_COEF_SIGN * swapped_coef).min() > 0:
        return swapped_value, turned, None
    return math.nan, None, (turned, float(coef[members.index(turned)]))


def _stepwise_removals(names: list[str], kept: list[int], out: set[int], p_max: float,
                       wald_p: Callable[[list[str]], pd.Series], held_out: HeldOut, result: SearchResult,
                       path: list[dict[str, object]], step: int, current: float) -> float:
    """Remove entered characteristics whose Wald p exceeds ``p_max``, the largest first."""
    while len(kept) > 1:
        p_values = wald_p([names[j] for j in kept])
        worst = str(p_values.idxmax())
        if not p_values[worst] > p_max:
            break
        j = names.index(worst)
        kept.remove(j)
        out.add(j)
        current, _ = held_out(kept)
        result.removed[worst] = ("stepwise", f"Wald p {p_values[worst]:.3g} > p_max {p_max:g} after step {step}")
        path.append({"step": step, "action": "remove", "variable": worst, "held_out": current,
                     "score_statistic": math.nan})
    return current
