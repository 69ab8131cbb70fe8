"""Calibration tests a validator runs: Hosmer-Lemeshow, Jeffreys and exact binomial per class,
bad rate by class (monotone or not), the concentration of the classes and a calibration table.

Conventions: ``y`` is 1 for the bad event, ``pd`` its predicted probability, ``classes`` the risk
class of each row, and ``order`` lists the classes from the best (lowest risk) to the worst.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from riskmodels.evaluation._checks import as_1d, binary_target, check_lengths, is_real, labels, target_and_pd


def _calibrated(y: ArrayLike, pd_: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return target_and_pd(y, pd_, probability=True, both_classes=False)


def jeffreys_interval(bads: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Equal-tailed interval of the default rate under the Jeffreys posterior Beta(d + 1/2, n - d + 1/2)."""
    if n == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    posterior = stats.beta(bads + 0.5, n - bads + 0.5)
    return float(posterior.ppf(tail)), float(posterior.ppf(1 - tail))


def calibration_table(y: ArrayLike, pd_: ArrayLike, bins: int | ArrayLike = 10) -> pd.DataFrame:
    """Predicted vs observed per PD group: equal-count groups (``bins`` an int) or groups cut at
    the given PD cut points. Columns: group, pd_range, n, bads, expected_bads, mean_pd, bad_rate,
    lower and upper (95% Jeffreys interval of the bad rate)."""
    y_arr, p = _calibrated(y, pd_)
    if is_real(bins):
        if not 1 <= int(bins) <= len(p):
            raise ValueError(f"bins must be between 1 and the number of rows ({len(p)}); got {bins}")
        # Equal-count groups by rank: quantile edges would merge groups when many PDs tie.
        group = np.empty(len(p), dtype=int)
        for i, idx in enumerate(np.array_split(np.argsort(p, kind="mergesort"), int(bins))):
            group[idx] = i
    else:
        edges = as_1d(bins, "bins")
        if np.isnan(edges).any() or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bins must be strictly increasing cut points; got {edges.tolist()}")
        group = np.searchsorted(edges, p, side="right")
    rows = []
    for g in np.unique(group):
        mask = group == g
        n, bads = int(mask.sum()), float(y_arr[mask].sum())
        lower, upper = jeffreys_interval(bads, n)
        rows.append({"group": int(g) + 1, "pd_range": f"{p[mask].min():.4f} – {p[mask].max():.4f}", "n": n,
                     "bads": int(bads), "expected_bads": float(p[mask].sum()), "mean_pd": float(p[mask].mean()),
                     "bad_rate": bads / n, "lower": lower, "upper": upper})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class HosmerLemeshowResult:
    statistic: float
    dof: int
    p_value: float  # small: observed and predicted bads differ more than chance allows
    groups: int


def hosmer_lemeshow(y: ArrayLike, pd_: ArrayLike, groups: int = 10, *, external: bool = False,
                    relevel: bool = False) -> HosmerLemeshowResult:
    """Hosmer-Lemeshow goodness of fit over equal-count PD groups.

    Degrees of freedom are ``groups - 2`` on the sample the model was fitted on (two parameters
    absorbed by the fit) and ``groups`` on an independent sample (``external=True``: test or
    out-of-time rows), where nothing was fitted and the statistic is chi-square with ``groups`` dof.

    ``relevel=True`` tests the PDs' shape alone: they are first moved by one shift in log-odds so
    that their sum is the sample's bads (the level of this sample's conditions), which costs an
    external sample one degree of freedom. It is the test for through-the-cycle PDs on a window
    of months: their level is the long-run average by design, so a good or bad part of the cycle
    moves every group one way, which the plain test counts as a misfit."""
    if groups < 3:
        raise ValueError(f"groups must be at least 3; got {groups}")
    if relevel:
        # The calibration's own level fit (slope 1); imported here, as riskmodels.scorecard loads optbinning.
        from riskmodels.scorecard.calibration import level_intercept

        y_arr, p = _calibrated(y, pd_)
        logit = np.log(np.clip(p, 1e-12, 1 - 1e-12) / np.clip(1 - p, 1e-12, 1))
        pd_ = 1.0 / (1.0 + np.exp(-(logit + level_intercept(logit, y_arr))))
    table = calibration_table(y, pd_, groups)
    mean = table["mean_pd"].clip(1e-12, 1 - 1e-12)  # a PD of exactly 0 with bads must still count
    statistic = float(((table["bads"] - table["expected_bads"]) ** 2 / (table["n"] * mean * (1 - mean))).sum())
    dof = (groups - 1 if relevel else groups) if external else groups - 2
    return HosmerLemeshowResult(statistic, dof, float(stats.chi2.sf(statistic, dof)), groups)


def _class_order(classes: np.ndarray, order: Sequence[object] | None) -> list[object]:
    if pd.isna(classes).any():
        raise ValueError("classes contain missing values; every row needs a risk class")
    present = list(pd.unique(classes))
    if order is None:
        return sorted(present, key=str)
    known = set(order)
    unknown = sorted(str(c) for c in present if c not in known)
    if unknown:
        raise ValueError(f"classes not in order: {unknown[:10]}")
    return list(order)


@dataclass(frozen=True)
class ClassTestResult:
    test: str
    alpha: float
    table: pd.DataFrame  # class, n, bads, bad_rate, mean_pd, lower, upper, p_value, passed

    @property
    def failures(self) -> list[object]:
        return self.table.loc[~self.table["passed"], "class"].tolist()

    @property
    def passed(self) -> bool:
        return not self.failures


def _class_test(test: str, y: ArrayLike, pd_: ArrayLike, classes: ArrayLike,
                order: Sequence[object] | None, alpha: float) -> ClassTestResult:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    y_arr, p = _calibrated(y, pd_)
    cls = labels(classes)
    check_lengths(y=y_arr, classes=cls)
    rows = []
    for name in _class_order(cls, order):
        mask = cls == name
        n, bads = int(mask.sum()), int(y_arr[mask].sum())
        mean_pd = float(p[mask].mean()) if n else float("nan")
        lower, upper = jeffreys_interval(bads, n)
        if n == 0:
            p_value = float("nan")  # an empty class cannot be tested, so it cannot fail
        elif test == "jeffreys":
            # Posterior probability that the true rate is at most the class PD (ECB guidance):
            # small when the observed defaults make an underestimated PD likely.
            p_value = float(stats.beta.cdf(mean_pd, bads + 0.5, n - bads + 0.5))
        else:
            p_value = float(stats.binomtest(bads, n, mean_pd, alternative="greater").pvalue)
        rows.append({"class": name, "n": n, "bads": bads, "bad_rate": bads / n if n else float("nan"),
                     "mean_pd": mean_pd, "lower": lower, "upper": upper, "p_value": p_value,
                     "passed": not p_value < alpha})
    return ClassTestResult(test, alpha, pd.DataFrame(rows))


def jeffreys_test(y: ArrayLike, pd_: ArrayLike, classes: ArrayLike, order: Sequence[object] | None = None,
                  alpha: float = 0.05) -> ClassTestResult:
    """Jeffreys test per class, H0 "the class PD (mean PD of its rows) is not underestimated";
    a class fails when its one-sided p-value is below ``alpha``."""
    return _class_test("jeffreys", y, pd_, classes, order, alpha)


def binomial_test(y: ArrayLike, pd_: ArrayLike, classes: ArrayLike, order: Sequence[object] | None = None,
                  alpha: float = 0.05) -> ClassTestResult:
    """Exact one-sided binomial test per class: P(at least the observed bads | class PD)."""
    return _class_test("binomial", y, pd_, classes, order, alpha)


def is_monotone(bad_rates: Sequence[float], strict: bool = False) -> bool:
    """Bad rate rises from the best class to the worst (empty classes, NaN, are skipped)."""
    rates = [r for r in bad_rates if not np.isnan(r)]
    return all((b > a) if strict else (b >= a) for a, b in pairwise(rates))


@dataclass(frozen=True)
class BadRateByClass:
    table: pd.DataFrame  # class, n, share, bads, bad_rate
    monotone: bool  # no violation
    violations: tuple[tuple[object, object], ...]  # (better, worse) neighbours significantly out of order
    reversals: tuple[tuple[object, object], ...] = ()  # every neighbour pair whose bad rate does not rise


# A class this small has a bad rate too uncertain to call the scale broken on (a fraud model
# that separates well leaves a handful of rows in its review band); it is still tabulated.
MIN_CLASS_ROWS = 30


def _reversal_p_value(better: tuple[int, int], worse: tuple[int, int]) -> float:
    """One-sided Fisher exact p-value of "the better class's bad rate is higher" ((n, bads) each)."""
    (n_b, bad_b), (n_w, bad_w) = better, worse
    table = [[bad_b, n_b - bad_b], [bad_w, n_w - bad_w]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


def bad_rate_by_class(y: ArrayLike, classes: ArrayLike, order: Sequence[object], *,
                      strict: bool = False, min_rows: int = MIN_CLASS_ROWS,
                      alpha: float | None = 0.05) -> BadRateByClass:
    """Bad rate per class from best to worst, and whether it rises along the rating scale.
    ``strict`` also counts equal neighbouring rates (classes that do not separate risk) as
    reversals. A reversal is a violation when it is significant: a one-sided Fisher exact test
    of the better class's bad rate being higher, at ``alpha`` (``None``: every reversal is one).
    Three defaults against four in a few hundred rows is noise, not a broken scale. Classes
    with fewer than ``min_rows`` rows are shown but not judged: their neighbours are compared
    with each other."""
    if isinstance(min_rows, bool) or not isinstance(min_rows, (int, np.integer)) or min_rows < 1:
        raise ValueError(f"min_rows must be a positive integer; got {min_rows!r}")
    y_arr, cls = binary_target(y), labels(classes)
    check_lengths(y=y_arr, classes=cls)
    rows = []
    for name in _class_order(cls, order):
        mask = cls == name
        n, bads = int(mask.sum()), int(y_arr[mask].sum())
        rows.append({"class": name, "n": n, "share": n / len(cls) if len(cls) else float("nan"),
                     "bads": bads, "bad_rate": bads / n if n else float("nan")})
    table = pd.DataFrame(rows)
    filled = table[table["n"] >= min_rows]
    pairs = list(zip(filled["class"], filled["bad_rate"], filled["n"], filled["bads"], strict=True))
    reversals = [(a, (na, ba), b, (nb, bb)) for (a, ra, na, ba), (b, rb, nb, bb) in pairwise(pairs)
                 if not is_monotone([ra, rb], strict)]
    violations = tuple((a, b) for a, counts_a, b, counts_b in reversals
                       if alpha is None or _reversal_p_value(counts_a, counts_b) < alpha)
    return BadRateByClass(table, not violations, violations, tuple((a, b) for a, _, b, _ in reversals))


def herfindahl(classes: ArrayLike) -> float:
    """Herfindahl index of the class shares: 1/k when spread evenly over k classes, 1 when all
    rows sit in one class (a rating scale that does not differentiate)."""
    cls = labels(classes)
    if len(cls) == 0:
        raise ValueError("classes is empty; at least one row is needed")
    shares = pd.Series(cls).value_counts(normalize=True, dropna=False).to_numpy()
    return float((shares**2).sum())
